package dev.mnv2.bench;

/**
 * Where mnv2's own trainer enters the comparison. It does not exist yet: {@link #available()} looks for it on the
 * class path, and until it is there every caller reports {@link #UNAVAILABLE} and runs the PyTorch side alone,
 * so that no mnv2 number is ever printed that mnv2 did not compute.
 */
final class Mnv2Training {
    /** The class the trainer will be. */
    static final String TRAINER_CLASS = "dev.mnv2.train.Trainer";

    static final String UNAVAILABLE = "mnv2 trainer not available yet (no " + TRAINER_CLASS + " on the class path): "
            + "only the PyTorch side runs, and no mnv2 figure is printed";

    private Mnv2Training() {}

    static boolean available() {
        try {
            Class.forName(TRAINER_CLASS, false, Mnv2Training.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
