package org.sdd4j.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.sdd4j.backend.Backend;
import org.sdd4j.tensor.Tensor;

/**
 * Counts what a forward pass asks of a backend, as a pass-through in front of one: the floating-point operations
 * of its products and convolutions (2 per multiply-add), and the bytes of every tensor each operation reads or
 * writes once (what an op-by-op execution, fusing nothing, must move). A dynamic proxy, so that every operation of
 * {@link Backend}, present and future, is forwarded and counted without a hand-written list.
 */
final class OpCounter {
    private long flops;
    private long bytes;
    private long calls;

    /** {@code inner} behind a counter that adds to this one. */
    Backend wrap(Backend inner) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (args != null && method.getReturnType() == void.class) {
                        count(method.getName(), args);
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private synchronized void count(String op, Object[] args) {
        if (op.equals("copy") || op.equals("release")) {
            return; // uploads and downloads are not part of the model's work
        }
        calls++;
        for (Object a : args) {
            if (a instanceof Tensor t) {
                bytes += t.numel() * t.dtype().byteSize();
            } else if (a instanceof Tensor[] ts) {
                for (Tensor t : ts) {
                    bytes += t == null ? 0 : t.numel() * t.dtype().byteSize();
                }
            }
        }
        switch (op) {
            case "linear" -> flops += 2L * (int) args[4] * (int) args[5] * (int) args[6];
            case "batchedMatmul" -> flops += 2L * (int) args[4] * (int) args[5] * (int) args[6] * (int) args[7];
            case "conv1d", "conv2d" -> {
                Tensor w = (Tensor) args[1], out = (Tensor) args[args.length - 1];
                flops += 2L * out.numel() * (w.numel() / w.dim(0));
            }
            default -> {
            }
        }
    }

    synchronized long flops() {
        return flops;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long calls() {
        return calls;
    }
}
