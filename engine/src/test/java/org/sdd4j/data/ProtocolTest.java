package org.sdd4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtocolTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void asvspoof2019LaWithTheOfficialFlacFolder() throws Exception {
        Path root = Files.createDirectories(dir.resolve("ASVspoof2019_LA_train"));
        Files.createDirectories(root.resolve("flac"));
        Files.writeString(root.resolve("flac/LA_T_1138215.flac"), "x");
        Path p = write("cm.trn.txt", "LA_0079 LA_T_1138215 - - bonafide\nLA_0079 LA_T_1271820 - A01 spoof\n\n");
        List<LabeledUtterance> u = Protocol.read(ProtocolFormat.ASVSPOOF2019_LA, p, root);
        assertEquals(List.of(
                new LabeledUtterance("LA_T_1138215", root.resolve("flac/LA_T_1138215.flac"), 1, "-", "LA_0079"),
                new LabeledUtterance("LA_T_1271820", root.resolve("flac/LA_T_1271820.flac"), 0, "A01", "LA_0079")), u);
    }

    @Test
    void layoutIsTakenFromTheFilesThatExist() throws Exception {
        Path root = Files.createDirectories(dir.resolve("wavs"));
        Files.writeString(root.resolve("LA_E_2.wav"), "x");
        Path p = write("cm.txt", "LA_0039 LA_E_1 - A11 spoof\nLA_0039 LA_E_2 - - bonafide\n");
        List<LabeledUtterance> u = Protocol.asvspoof2019La(p, root);
        assertEquals(root.resolve("LA_E_1.wav"), u.get(0).audio());
        assertEquals(root.resolve("LA_E_2.wav"), u.get(1).audio());
    }

    @Test
    void asvspoof2021LaAndDfKeysWithSubsets() throws Exception {
        Path la = write("la.txt", "LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval\n"
                + "LA_0009 LA_E_1 none - - bonafide notrim progress\n");
        Path df = write("df.txt", "LA_0023 DF_E_2000011 nocodec asvspoof A14 spoof notrim progress traditional_vocoder - - - -\n"
                + "VCC2TM2 DF_E_2000013 mp3m4a vcc2018 - bonafide notrim eval bonafide - - - -\n");
        List<LabeledUtterance> l = Protocol.read(ProtocolFormat.ASVSPOOF2021, la, dir);
        assertEquals(2, l.size());
        assertEquals(new LabeledUtterance("LA_E_9332881", dir.resolve("LA_E_9332881.flac"), 0, "A07", "LA_0009"), l.get(0));
        List<LabeledUtterance> d = Protocol.asvspoof2021(df, dir, Set.of("eval"));
        assertEquals(1, d.size());
        assertEquals("DF_E_2000013", d.get(0).id());
        assertTrue(d.get(0).isBonaFide());
        assertEquals("VCC2TM2", d.get(0).speaker());
    }

    @Test
    void asvspoof5() throws Exception {
        Path p = write("ASVspoof5.train.tsv", "T_4850 T_0000000000 F - - - AC3 A05 spoof -\n"
                + "T_4850 T_0000000001 F - - - - bonafide bonafide -\n");
        List<LabeledUtterance> u = Protocol.read(ProtocolFormat.ASVSPOOF5, p, dir);
        assertEquals(new LabeledUtterance("T_0000000000", dir.resolve("T_0000000000.flac"), 0, "A05", "T_4850"), u.get(0));
        assertEquals(new LabeledUtterance("T_0000000001", dir.resolve("T_0000000001.flac"), 1, "-", "T_4850"), u.get(1));
    }

    @Test
    void inTheWildMetaCsv() throws Exception {
        Path p = write("meta.csv", "file,speaker,label\n0.wav,Alec Guinness,spoof\n1.wav,\"Smith, Jr.\",bona-fide\n");
        List<LabeledUtterance> u = Protocol.read(ProtocolFormat.IN_THE_WILD, p, dir);
        assertEquals(new LabeledUtterance("0", dir.resolve("0.wav"), 0, "-", "Alec Guinness"), u.get(0));
        assertEquals(new LabeledUtterance("1", dir.resolve("1.wav"), 1, "-", "Smith, Jr."), u.get(1));
    }

    @Test
    void pathLabelList() throws Exception {
        Path p = write("list.tsv", "# comment\nsub dir/a.wav\t1\n/abs/b.flac\tspoof\n");
        List<LabeledUtterance> u = Protocol.read(ProtocolFormat.PATH_LABEL_LIST, p, dir);
        assertEquals(new LabeledUtterance("a", dir.resolve("sub dir/a.wav"), 1, "-", "-"), u.get(0));
        assertEquals(new LabeledUtterance("b", Path.of("/abs/b.flac"), 0, "-", "-"), u.get(1));
    }

    @Test
    void badLinesAreReportedWithFileAndLine() throws Exception {
        Path p = write("cm.txt", "LA_0079 LA_T_1 - - bonafide\nLA_0079 LA_T_2 - A01\n");
        var e = assertThrows(ProtocolFormatException.class, () -> Protocol.asvspoof2019La(p, dir));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith(p + ":2: expected 5"), e.getMessage());
        Path key = write("k.txt", "LA_0079 LA_T_1 - - genuine\n");
        var k = assertThrows(ProtocolFormatException.class, () -> Protocol.asvspoof2019La(key, dir));
        assertTrue(k.getMessage().contains("'genuine'"), k.getMessage());
        Path csv = write("meta.csv", "name,who,label\n");
        assertThrows(ProtocolFormatException.class, () -> Protocol.inTheWild(csv, dir));
        Path list = write("l.tsv", "a.wav 1\n");
        assertThrows(ProtocolFormatException.class, () -> Protocol.pathLabelList(list, dir));
    }
}
