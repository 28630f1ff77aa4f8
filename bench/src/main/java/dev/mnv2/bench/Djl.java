package dev.mnv2.bench;

/** DJL must never reach the network: the benchmarks start it only with every offline switch set. */
final class Djl {
    private Djl() {}

    /**
     * Exits with status 2 and a one-line message unless {@code DJL_OFFLINE=true} and
     * {@code OPT_OUT_TRACKING=true} are in the environment and {@code -Dai.djl.offline=true} is set.
     */
    static void requireOffline(String program) {
        if (!"true".equals(System.getenv("DJL_OFFLINE")) || !"true".equals(System.getenv("OPT_OUT_TRACKING"))
                || !"true".equals(System.getProperty("ai.djl.offline"))) {
            System.err.println(program + ": PyTorch through DJL runs only offline: set DJL_OFFLINE=true and "
                    + "OPT_OUT_TRACKING=true in the environment and -Dai.djl.offline=true (bench/compare and "
                    + "bench/train-compare do)");
            System.exit(2);
        }
    }
}
