package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsNamesOrderDtypesShapesBytesAndMetadata() throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("w", Tensor.of(arena, new float[] {1.5f, -2, 3, 4e-8f, Float.MAX_VALUE, -0f}, 2, 3));
            Tensor half = Tensor.zeros(arena, DType.F16, 3);
            half.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 1, Float.floatToFloat16(0.25f));
            tensors.put("half", half);
            Tensor steps = Tensor.zeros(arena, DType.I64, 2);
            steps.data().setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 1, 1L << 50);
            tensors.put("steps", steps);
            Tensor mask = Tensor.zeros(arena, DType.BOOL, 5);
            mask.data().set(ValueLayout.JAVA_BYTE, 3, (byte) 1);
            tensors.put("mask", mask);
            tensors.put("scalar", Tensor.of(arena, new float[] {7}));
            tensors.put("empty", Tensor.zeros(arena, DType.F32, 0, 4));
            SafetensorsWriter.write(file, tensors, Map.of("epoch", "3"));

            try (StateDict read = Checkpoints.open(file)) {
                assertEquals(List.copyOf(tensors.keySet()), List.copyOf(read.keys()));
                assertEquals(Map.of("epoch", "3"), read.extras().get("__metadata__"));
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    Tensor back = read.require(e.getKey(), e.getValue().shape());
                    assertEquals(e.getValue().dtype(), back.dtype(), e.getKey());
                    assertEquals(-1, e.getValue().data().mismatch(back.data()), "bytes of " + e.getKey());
                }
                assertEquals(0.25, read.require("half").getAsDouble(1));
                assertEquals(1L << 50, (long) read.require("steps").getAsDouble(1));
            }
            // Rewriting replaces the file whole and leaves no temporary file behind.
            SafetensorsWriter.write(file, Map.of("only", tensors.get("w")));
            try (StateDict read = Checkpoints.open(file)) {
                assertEquals(List.of("only"), List.copyOf(read.keys()));
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList());
            }
        }
    }

    @Test
    void dataStartsAligned() throws IOException {
        Path file = dir.resolve("a.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsWriter.write(file, Map.of("x", Tensor.of(arena, new float[] {1, 2}, 2)));
        }
        ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, head.getLong(0) % 8);
    }

    private Path handMade(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        return Files.write(dir.resolve("hand.safetensors"), b.array());
    }

    private void assertRefused(Path file, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(file).close());
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void malformedHeadersAreRefused() throws IOException {
        assertRefused(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
        assertRefused(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "outside the 8 data bytes");
        assertRefused(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12");
        assertRefused(handMade("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "unsupported dtype F8_E4M3");
        assertRefused(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "bad dimension");
        assertRefused(handMade("{\"a\":[1,2", 4), "not valid JSON");
        assertRefused(handMade("{\"__metadata__\":{\"n\":1}}", 0), "not a string");

        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(SafetensorsReader.MAX_HEADER_BYTES + 1).put((byte) '{');
        Path hugeFile = Files.write(dir.resolve("huge.safetensors"), huge.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsReader.read(hugeFile).close());
        assertTrue(e.getMessage().contains("outside [2, 100000000]"), e.getMessage());
    }

    @Test
    void readerValuesMatchTheWrittenFloats() throws IOException {
        Path file = dir.resolve("v.safetensors");
        float[] values = {0.1f, -7.25f, 1e30f};
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsWriter.write(file, Map.of("v", Tensor.of(arena, values, 3, 1)));
        }
        try (StateDict sd = SafetensorsReader.read(file)) {
            assertArrayEquals(values, sd.require("v", 3, 1).toFloatArray());
        }
    }
}
