package dev.mnv2.exec;

/**
 * Whether the Vector API can be used. The incubator module is optional: {@code VectorKernels} is loaded by
 * name only when the module is in the boot layer, so core runs on any JDK 17+ without it.
 */
final class VectorSupport {
    private VectorSupport() {}

    /** The module is there and the hardware has (at least) 256-bit vectors, the kernels' layout. */
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && kernels().wideEnough();

    /** {@code VectorKernels}' width; call only when {@link #AVAILABLE}. */
    static int bits() {
        return VectorKernels.bits();
    }

    static VectorKernels kernels() {
        try {
            return (VectorKernels) Class.forName("dev.mnv2.exec.VectorKernels").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("jdk.incubator.vector is present but the vector kernels failed to load", e);
        }
    }
}
