package dev.mnv2.model;

/** The knobs every MobileNet builder shares; {@link #build()} draws seeded random parameters. */
public abstract class NetworkBuilder<B extends NetworkBuilder<B>> {
    protected double width = 1.0;
    protected int inputHeight = 224;
    protected int inputWidth = 224;
    protected int classes = 1000;
    protected Padding padding = Padding.same();
    protected double dropout;
    protected float batchNormEpsilon = BatchNorm.DEFAULT_EPSILON;
    private long seed;

    protected NetworkBuilder(double defaultDropout) {
        this.dropout = defaultDropout;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Width multiplier α (any value > 0; the papers use 0.25 to 1.4). */
    public B width(double alpha) {
        this.width = alpha;
        return self();
    }

    /** Square input resolution (at least 32). */
    public B resolution(int size) {
        return resolution(size, size);
    }

    public B resolution(int height, int widthPixels) {
        this.inputHeight = height;
        this.inputWidth = widthPixels;
        return self();
    }

    public B classes(int count) {
        this.classes = count;
        return self();
    }

    /** {@link Padding#same()} (TensorFlow, the default) or {@link Padding#symmetric(int)} (PyTorch). */
    public B padding(Padding convention) {
        this.padding = convention;
        return self();
    }

    /** Dropout rate before the classifier (training only). */
    public B dropout(double rate) {
        this.dropout = rate;
        return self();
    }

    public B batchNormEpsilon(float eps) {
        this.batchNormEpsilon = eps;
        return self();
    }

    /** Seed of the random parameters {@link #build()} draws. */
    public B seed(long value) {
        this.seed = value;
        return self();
    }

    /** The validated configuration; throws IllegalArgumentException naming a bad knob. */
    public abstract NetworkConfig config();

    /** The network with seeded random weights and batch-norm statistics. */
    public Network build() {
        return Initializer.randomize(config().create(), seed);
    }
}
