package org.sdd4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdd4j.zoo.ModelEntry;
import org.sdd4j.zoo.ModelZoo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sdd4j models}: the catalogue of published checkpoints and the local cache. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Lists and downloads published detector checkpoints.",
        subcommands = {ModelsCommand.ListCommand.class, ModelsCommand.PullCommand.class})
final class ModelsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the catalogue: name, family, whether downloads are verified by SHA-256, whether cached.")
    static final class ListCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            ModelZoo zoo = new ModelZoo();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "FAMILY", "VERIFIED", "CACHED"});
            for (ModelEntry e : zoo.list()) {
                boolean cached = Files.isRegularFile(zoo.cachedPath(e));
                rows.add(new String[] {e.name(), e.family().id(), e.verified() ? "yes" : "no", cached ? "yes" : "no"});
            }
            int[] width = new int[4];
            for (String[] r : rows) {
                for (int i = 0; i < 4; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            for (String[] r : rows) {
                out.printf("%-" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %s%n", (Object[]) r);
            }
            out.println("cache: " + zoo.cacheDir());
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Downloads a model into the cache (verifying its SHA-256 when one is pinned) and prints its path.")
    static final class PullCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "A name from 'sdd4j models list'.")
        String name;

        @Override
        public Integer call() throws Exception {
            ModelZoo zoo = new ModelZoo();
            ModelEntry entry;
            try {
                entry = zoo.entry(name);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            Path path = ModelSource.pull(zoo, entry, spec.commandLine().getErr(), true);
            spec.commandLine().getOut().println(path);
            spec.commandLine().getOut().flush();
            return Main.OK;
        }
    }
}
