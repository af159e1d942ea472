package org.sdd4j.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A progress line on standard error with rate and ETA. On a terminal it redraws itself in place (at most
 * ten times a second); elsewhere (a log file) it prints a plain line every {@value #LOG_INTERVAL_S} s and
 * at the end, so logs stay readable.
 */
final class ProgressBar {
    /** What is counted: files or bytes. */
    enum Unit { FILES, BYTES }

    private static final int WIDTH = 24;
    private static final long LOG_INTERVAL_S = 10;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final Unit unit;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long lastDraw;
    private long done;
    private long drawnDone = -1;
    private boolean drawn;

    ProgressBar(PrintWriter err, String label, long total, Unit unit, boolean interactive) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.interactive = interactive;
    }

    /**
     * Whether standard error is a terminal. Linux tells through /proc; elsewhere the console's answer
     * (about standard input and output) is the best guess the JDK offers.
     */
    static boolean stderrIsTerminal() {
        try {
            Path fd = Path.of("/proc/self/fd/2");
            if (Files.isSymbolicLink(fd)) {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (Exception e) {
            // fall through to the console's answer
        }
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    synchronized void update(long doneNow) {
        this.done = doneNow;
        long now = System.nanoTime();
        long interval = interactive ? 100_000_000L : LOG_INTERVAL_S * 1_000_000_000L;
        if (now - lastDraw >= interval || (total > 0 && doneNow >= total)) {
            lastDraw = now;
            draw();
        }
    }

    /** Prints {@code line} above the bar (which is redrawn on the next update). */
    synchronized void message(String line) {
        if (interactive && drawn) {
            err.print("\r\033[K");
        }
        err.println(line);
        err.flush();
        drawn = false;
    }

    /** Draws the final state and ends the line. */
    synchronized void finish() {
        if (interactive || drawnDone != done) {
            draw();
        }
        if (interactive) {
            err.println();
        }
        err.flush();
    }

    private void draw() {
        double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
        double rate = done / seconds;
        StringBuilder line = new StringBuilder(label).append(' ');
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, WIDTH * done / total);
            line.append('[').append("#".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("] ");
            line.append(String.format(Locale.ROOT, "%3d%% ", 100 * done / total));
        }
        line.append(amount(done));
        if (total > 0) {
            line.append('/').append(amount(total));
        }
        line.append(String.format(Locale.ROOT, "  %s/s", unit == Unit.BYTES ? amount((long) rate)
                : String.format(Locale.ROOT, "%.2f files", rate)));
        if (total > 0 && done > 0 && done < total) {
            line.append("  ETA ").append(duration((total - done) / rate));
        } else {
            line.append("  ").append(duration(seconds));
        }
        if (interactive) {
            err.print("\r" + line + "\033[K");
        } else {
            err.println(line);
        }
        err.flush();
        drawn = true;
        drawnDone = done;
    }

    private String amount(long n) {
        if (unit == Unit.FILES) {
            return Long.toString(n);
        }
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.0f KiB", n / 1024.0);
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
