package org.sdd4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns the command line's INPUT arguments into the list of things to score. The rules (also in
 * {@code sdd4j score --help}):
 * <ul>
 *   <li>a directory: every file under it, recursively, whose extension is an audio one
 *       ({@link #AUDIO_EXTENSIONS}), in path order, reported under its path;</li>
 *   <li>a file with a list extension ({@link #LIST_EXTENSIONS}): see {@link #readList};</li>
 *   <li>any other file: scored as audio, reported under the path as given.</li>
 * </ul>
 */
final class Inputs {
    /** Extensions collected from directories. WAV and FLAC decode; the rest are reported as needing conversion. */
    static final Set<String> AUDIO_EXTENSIONS = Set.of("wav", "wave", "rf64", "bwf", "flac",
            "ogg", "oga", "opus", "mp3", "aif", "aiff", "au", "snd", "caf", "m4a", "wv");
    /** Extensions that mark a list of inputs rather than audio. */
    static final Set<String> LIST_EXTENSIONS = Set.of("txt", "lst", "list", "scp", "csv", "tsv", "protocol");
    /** Extensions tried, in order, for bare utterance ids in protocol lists. */
    static final List<String> ID_EXTENSIONS = List.of(".flac", ".wav");
    /** Folders beside a protocol where ASVspoof distributions keep the audio, tried after the list's own. */
    static final List<String> ID_FOLDERS = List.of("", "flac", "wav");

    /**
     * One thing to score.
     *
     * @param name  how the output names it
     * @param file  the audio file, or null when the entry could not be resolved
     * @param error why it cannot be scored (null when it can be tried)
     */
    record Item(String name, Path file, String error) {
        static Item of(String name, Path file) {
            return new Item(name, file, null);
        }

        static Item failed(String name, String error) {
            return new Item(name, null, error);
        }
    }

    private Inputs() {
    }

    /** Resolves every argument in order; a path that does not exist is a usage error. */
    static List<Item> resolve(List<String> args) {
        List<Item> items = new ArrayList<>();
        for (String arg : args) {
            Path p = Path.of(arg);
            if (Files.isDirectory(p)) {
                items.addAll(walk(p));
            } else if (Files.isRegularFile(p) && LIST_EXTENSIONS.contains(extension(p))) {
                items.addAll(readList(p));
            } else if (Files.exists(p)) {
                items.add(Item.of(arg, p));
            } else {
                throw new UsageException("input not found: " + arg);
            }
        }
        return items;
    }

    private static List<Item> walk(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> AUDIO_EXTENSIONS.contains(extension(f)))
                    .sorted()
                    .map(f -> Item.of(f.toString(), f))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new UsageException("cannot list directory " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Reads a list file. Blank lines and lines starting with {@code #} are skipped. A line that names an
     * existing file (absolute, or relative to the list's folder) is scored and reported as written.
     * Otherwise its fields (split on commas in .csv files, else on white space) are tried in order: the
     * first that names an existing file, or that is an utterance id with a {@code .flac} or {@code .wav}
     * file in the list's folder or its {@code flac/} or {@code wav/} subfolder, is scored and reported
     * under the file's name without folder and extension: the utterance id that ASVspoof score files
     * use ({@code SPEAKER UTT_ID - ATTACK KEY} in 2019/2021, {@code SPEAKER FILE ...} in ASVspoof 5,
     * {@code KEY PATH} in Kaldi .scp files). A first line that resolves to nothing is taken as a column
     * header; any later one is reported as an input that cannot be scored.
     */
    static List<Item> readList(Path list) {
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read list " + list + ": " + Main.oneLine(e));
        }
        Path base = list.toAbsolutePath().getParent();
        boolean csv = extension(list).equals("csv");
        List<Item> items = new ArrayList<>();
        boolean first = true;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean header = first;
            first = false;
            Path whole = existing(base, line);
            if (whole != null) {
                items.add(Item.of(line, whole));
                continue;
            }
            String[] fields = csv ? line.split("\\s*,\\s*") : line.split("\\s+");
            Item found = null;
            for (String field : fields) {
                Path f = field.isEmpty() || field.equals("-") ? null : resolveField(base, field);
                if (f != null) {
                    found = Item.of(stem(f), f);
                    break;
                }
            }
            if (found != null) {
                items.add(found);
            } else if (!header) {
                String id = fields.length >= 3 ? fields[1] : fields[0];
                items.add(Item.failed(id, list + " line " + (n + 1) + ": no audio file for '" + id
                        + "' (looked for it, and for it + .flac/.wav, in " + base + " and its flac/ and wav/ folders)"));
            }
        }
        return items;
    }

    /** The file {@code field} names: as a path, or as an utterance id with an audio extension. */
    private static Path resolveField(Path base, String field) {
        Path direct = existing(base, field);
        if (direct != null) {
            return direct;
        }
        if (field.contains("/") || field.contains("\\")) {
            return null;
        }
        for (String folder : ID_FOLDERS) {
            for (String ext : ID_EXTENSIONS) {
                Path p = base.resolve(folder).resolve(field + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private static Path existing(Path base, String text) {
        try {
            Path p = Path.of(text);
            Path resolved = p.isAbsolute() ? p : base.resolve(p);
            return Files.isRegularFile(resolved) ? resolved : null;
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    /** The lower-case extension of a file name, without the dot ("" when none). */
    static String extension(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String stem(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? name : name.substring(0, dot);
    }
}
