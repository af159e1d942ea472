package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfilingBackendTest {
    /**
     * A default method it does not override would run the host loop on the wrapped backend's tensors, which for
     * the GPU are device addresses: every operation must be forwarded.
     */
    @Test
    void forwardsEveryBackendOperation() {
        List<String> missing = new ArrayList<>();
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            try {
                Method own = ProfilingBackend.class.getMethod(m.getName(), m.getParameterTypes());
                if (own.getDeclaringClass() != ProfilingBackend.class) {
                    missing.add(m.getName());
                }
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void timesTheOperationsItForwards() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (ProfilingBackend p = new ProfilingBackend(new ReferenceBackend(), new PrintStream(sink));
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            var x = org.sdd4j.tensor.Tensor.zeros(arena, 4);
            var dx = org.sdd4j.tensor.Tensor.zeros(arena, 4);
            p.sumBroadcast(x, dx);
            assertTrue(p.report().contains("sumBroadcast"), p.report());
        }
    }
}
