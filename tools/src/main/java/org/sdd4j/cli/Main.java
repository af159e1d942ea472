package org.sdd4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code sdd4j} command line. Exit codes: 0 success, 1 usage or model errors, 2 when some inputs
 * could not be scored (the others were).
 */
@Command(name = "sdd4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Speech deepfake detection on the JVM.",
        subcommands = {ScoreCommand.class, EvalCommand.class, TrainCommand.class, DriftCommand.class, CorpusCommand.class, InfoCommand.class, ModelsCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 usage or model error, 2 some inputs could not be scored.",
            "Set SDD4J_DEBUG=1 or pass --debug for stack traces."})
public final class Main implements Runnable {
    /** Exit code when every input was scored. */
    public static final int OK = 0;
    /** Exit code for usage errors and for models that cannot be loaded. */
    public static final int FAILED = 1;
    /** Exit code when some inputs could not be scored. */
    public static final int PARTIAL = 2;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = execute(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line with the given streams and returns the exit code (for tests and embedding). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        boolean debug = Arrays.asList(args).contains("--debug") || "1".equals(System.getenv("SDD4J_DEBUG"));
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, badArgs) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("sdd4j: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
            return FAILED;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println("sdd4j: " + oneLine(ex));
            if (debug) {
                ex.printStackTrace(cmd.getErr());
            }
            return FAILED;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** An exception as one line: its message, or its type when it has none. */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return e instanceof java.nio.file.NoSuchFileException ? "file not found: " + message : message;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The build's version, from a resource the build fills in. */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Feeds {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sdd4j " + version(), "JDK " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
