package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RestrictedUnpicklerTest {
    private static final Path SOURCE = Path.of("test.pkl");

    // pickle.dumps(VALUE, protocol=p) of
    // {'a': [1, -2, 300, 70000, -70000, 2**70, 2.5, True, False, None, 'x', 'ünï', (1, 2), (1,), (), (1, 2, 3, 4),
    //        b'yz', {3: 4}], 'od': OrderedDict([('k', 1)]), 's': {1, 2}, 'fs': frozenset([5])}
    private static final String PROTOCOL_2 = "80027d71002858010000006171015d7102284b014afeffffff4d2c014a701101004a90eefeff8a0900000000000000004047400400000000000088894e58010000007871035805000000c3bc6ec3af71044b014b028671054b0185710629284b014b024b034b04747107635f636f646563730a656e636f64650a71085802000000797a710958060000006c6174696e31710a86710b52710c7d710d4b034b04736558020000006f64710e63636f6c6c656374696f6e730a4f726465726564446963740a710f2952711058010000006b71114b01735801000000737112635f5f6275696c74696e5f5f0a7365740a71135d7114284b014b0265857115527116580200000066737117635f5f6275696c74696e5f5f0a66726f7a656e7365740a71185d71194b056185711a52711b752e";
    private static final String PROTOCOL_5 = "800595a9000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101004a90eefeff8a0900000000000000004047400400000000000088894e8c0178948c05c3bc6ec3af944b014b0286944b01859429284b014b024b034b0474944302797a947d944b034b0473658c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b01738c0173948f94284b014b02908c02667394284b059194752e";

    private static Object load(byte[] bytes) {
        try (Arena arena = Arena.ofConfined()) {
            return new RestrictedUnpickler(MemorySegment.ofArray(bytes), 0, SOURCE, new TorchGlobals(arena, false), null).load();
        }
    }

    @Test
    void decodesTheOpcodesOfProtocols2And5() {
        for (String hex : List.of(PROTOCOL_2, PROTOCOL_5)) {
            Map<?, ?> top = (Map<?, ?>) load(HexFormat.of().parseHex(hex));
            assertEquals(List.of("a", "od", "s", "fs"), List.copyOf(top.keySet()));
            List<?> a = (List<?>) top.get("a");
            assertEquals(List.of(1L, -2L, 300L, 70000L, -70000L, BigInteger.ONE.shiftLeft(70), 2.5, true, false), a.subList(0, 9));
            assertEquals(null, a.get(9));
            assertEquals("x", a.get(10));
            assertEquals("ünï", a.get(11));
            assertEquals(List.of(1L, 2L), a.get(12));
            assertEquals(List.of(1L), a.get(13));
            assertEquals(List.of(), a.get(14));
            assertEquals(List.of(1L, 2L, 3L, 4L), a.get(15));
            assertArrayEquals("yz".getBytes(StandardCharsets.US_ASCII), (byte[]) a.get(16));
            assertEquals(Map.of(3L, 4L), a.get(17));
            assertEquals(Map.of("k", 1L), top.get("od"));
            assertEquals(Set.of(1L, 2L), top.get("s"));
            assertEquals(Set.of(5L), top.get("fs"));
        }
    }

    @Test
    void numpyScalarsBecomeNumbers() {
        // pickle.dumps({'eer': np.float64(0.125), 'n': np.int64(-5), 'f': np.float32(1.5), 'b': np.bool_(True)}, protocol=2)
        String hex = "80027d71002858030000006565727101636e756d70792e5f636f72652e6d756c746961727261790a7363616c61720a7102636e756d70790a64747970650a71035802000000663871048988877105527106284b0358010000003c71074e4e4e4affffffff4affffffff4b0074710862635f636f646563730a656e636f64650a71095809000000000000000000c3803f710a58060000006c6174696e31710b86710c52710d86710e52710f58010000006e7110680268035802000000693871118988877112527113284b0368074e4e4e4affffffff4affffffff4b007471146268095810000000c3bbc3bfc3bfc3bfc3bfc3bfc3bfc3bf7115680b867116527117867118527119580100000066711a6802680358020000006634711b898887711c52711d284b0368074e4e4e4affffffff4affffffff4b0074711e62680958050000000000c3803f711f680b8671205271218671225271235801000000627124680268035802000000623171258988877126527127284b0358010000007c71284e4e4e4affffffff4affffffff4b00747129626809580100000001712a680b86712b52712c86712d52712e752e";
        assertEquals(Map.of("eer", 0.125, "n", -5L, "f", 1.5, "b", true), load(HexFormat.of().parseHex(hex)));
    }

    @Test
    void refusesGlobalsOutsideTheAllowList() {
        // GLOBAL 'os system' applied to a command: what a malicious pickle does.
        byte[] global = "\u0080\u0002cos\nsystem\nX\u0004\u0000\u0000\u0000true\u0085R.".getBytes(StandardCharsets.ISO_8859_1);
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(global));
        assertTrue(e.getMessage().contains("forbidden global 'os.system'"), e.getMessage());
        assertTrue(e.getMessage().contains("test.pkl"), e.getMessage());
        // STACK_GLOBAL 'builtins eval'.
        byte[] stack = "\u0080\u0004\u008c\u0008builtins\u008c\u0004eval\u0093\u008c\u00011\u0085R.".getBytes(StandardCharsets.ISO_8859_1);
        e = assertThrows(CheckpointException.class, () -> load(stack));
        assertTrue(e.getMessage().contains("forbidden global 'builtins.eval'"), e.getMessage());
        // Allowed module, forbidden name.
        byte[] torchLoad = "\u0080\u0002ctorch\nload\n.".getBytes(StandardCharsets.ISO_8859_1);
        e = assertThrows(CheckpointException.class, () -> load(torchLoad));
        assertTrue(e.getMessage().contains("forbidden global 'torch.load'"), e.getMessage());
    }

    @Test
    void refusesObjectBuildingOpcodesAndTruncation() {
        // INST ('i') would import and instantiate a class.
        byte[] inst = "(ios\nsystem\n.".getBytes(StandardCharsets.ISO_8859_1);
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(inst));
        assertTrue(e.getMessage().contains("unsupported pickle opcode 0x69"), e.getMessage());
        byte[] truncated = HexFormat.of().parseHex(PROTOCOL_5.substring(0, 60));
        e = assertThrows(CheckpointException.class, () -> load(truncated));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("past the end"), e.getMessage());
    }
}
