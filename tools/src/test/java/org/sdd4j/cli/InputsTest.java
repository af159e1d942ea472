package org.sdd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rules that turn INPUT arguments into files (no audio is decoded here). */
class InputsTest {
    @Test
    void directoriesAreWalkedForAudioExtensionsInPathOrder(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("b/c"));
        Files.createFile(dir.resolve("b/c/z.FLAC"));
        Files.createFile(dir.resolve("a.wav"));
        Files.createFile(dir.resolve("b/notes.txt"));
        List<Inputs.Item> items = Inputs.resolve(List.of(dir.toString()));
        assertEquals(List.of(dir.resolve("a.wav").toString(), dir.resolve("b/c/z.FLAC").toString()),
                items.stream().map(Inputs.Item::name).toList());
    }

    @Test
    void plainPathListsKeepTheNamesAsWritten(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("audio"));
        Files.createFile(dir.resolve("audio/x y.wav"));
        Path list = Files.writeString(dir.resolve("files.lst"), "# comment\n\naudio/x y.wav\n");
        List<Inputs.Item> items = Inputs.resolve(List.of(list.toString()));
        assertEquals(1, items.size());
        assertEquals("audio/x y.wav", items.getFirst().name());
        assertEquals(dir.resolve("audio/x y.wav"), items.getFirst().file());
    }

    @Test
    void asvspoof5ProtocolIdsResolveInTheFlacFolder(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("flac"));
        Files.createFile(dir.resolve("flac/E_0000000001.flac"));
        Path list = Files.writeString(dir.resolve("ASVspoof5.eval.tsv"),
                "E_0001 E_0000000001 F - - - AC3 A11 spoof -\nE_0002 E_0000000002 M - - - - bonafide -\n");
        List<Inputs.Item> items = Inputs.resolve(List.of(list.toString()));
        assertEquals("E_0000000001", items.get(0).name());
        assertEquals(dir.resolve("flac/E_0000000001.flac"), items.get(0).file());
        assertNull(items.get(0).error());
        assertEquals("E_0000000002", items.get(1).name());
        assertNotNull(items.get(1).error());
    }

    @Test
    void scpKeysAndCsvHeaders(@TempDir Path dir) throws IOException {
        Files.createFile(dir.resolve("u1.wav"));
        Path scp = Files.writeString(dir.resolve("wav.scp"), "utt1 " + dir.resolve("u1.wav") + "\n");
        assertEquals("u1", Inputs.resolve(List.of(scp.toString())).getFirst().name());
        Path csv = Files.writeString(dir.resolve("meta.csv"), "file,speaker,label\nu1.wav,Alice,bona-fide\n");
        List<Inputs.Item> items = Inputs.resolve(List.of(csv.toString()));
        assertEquals(1, items.size(), "the header line is skipped");
        assertEquals(dir.resolve("u1.wav"), items.getFirst().file());
    }

    @Test
    void aMissingArgumentIsAUsageError(@TempDir Path dir) {
        UsageException e = assertThrows(UsageException.class, () -> Inputs.resolve(List.of(dir.resolve("nope").toString())));
        assertEquals("input not found: " + dir.resolve("nope"), e.getMessage());
    }
}
