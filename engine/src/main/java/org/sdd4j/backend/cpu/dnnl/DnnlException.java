package org.sdd4j.backend.cpu.dnnl;

import static org.sdd4j.nativelib.dnnl.dnnl_h.*;

/** A oneDNN call returned an error status. The message names the call and the status. */
public final class DnnlException extends RuntimeException {
    private final int status;

    DnnlException(String call, int status) {
        super("oneDNN " + call + " failed: " + statusName(status) + " (status " + status + ")");
        this.status = status;
    }

    /** The {@code dnnl_status_t} value. */
    public int status() {
        return status;
    }

    /** Throws unless {@code status} is {@code dnnl_success}. */
    static void check(int status, String call) {
        if (status != dnnl_success()) {
            throw new DnnlException(call, status);
        }
    }

    static String statusName(int status) {
        if (status == dnnl_success()) return "success";
        if (status == dnnl_out_of_memory()) return "out of memory";
        if (status == dnnl_invalid_arguments()) return "invalid arguments";
        if (status == dnnl_unimplemented()) return "unimplemented (no implementation for these shapes/formats)";
        if (status == dnnl_last_impl_reached()) return "last implementation reached";
        if (status == dnnl_runtime_error()) return "runtime error";
        if (status == dnnl_not_required()) return "not required";
        return "unknown status";
    }
}
