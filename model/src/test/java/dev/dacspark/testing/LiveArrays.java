package dev.dacspark.testing;

import ai.djl.ndarray.NDManager;

/** Live native arrays, counted through DJL's tree of managers. */
public final class LiveArrays {
    private LiveArrays() {}

    /** Arrays attached to the manager or any of its sub-managers. */
    public static int under(NDManager manager) {
        return manager.getManagedArrays().size();
    }

    /** Every array of this JVM: those of every base manager, which the engine's system manager holds. */
    public static int inThisJvm() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return under(probe.getParentManager());
        }
    }
}
