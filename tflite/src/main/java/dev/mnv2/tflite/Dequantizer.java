package dev.mnv2.tflite;

import java.nio.ByteBuffer;

/** Turns a constant tensor of any supported type (float32, float16, uint8, int8, int32) into float32. */
final class Dequantizer {
    private Dequantizer() {}

    static float[] values(TfliteGraph.TensorInfo t) throws TfliteFormatException {
        ByteBuffer data = t.data();
        int n = Math.toIntExact(t.elements());
        float[] out = new float[n];
        switch (t.type()) {
            case Schema.FLOAT32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getFloat(4 * i);
                }
                checkFinite(t, out);
                return out;
            }
            case Schema.FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(data.getShort(2 * i));
                }
                checkFinite(t, out);
                return out;
            }
            case Schema.UINT8, Schema.INT8, Schema.INT32 -> {
                TfliteGraph.Quantization q = t.quantization();
                if (q == null) {
                    throw new TfliteFormatException(t.describe() + " is quantised but has no scale and zero point");
                }
                int[] shape = t.shape();
                int channels = q.perChannel() ? shape[q.dimension()] : 1;
                int inner = 1;
                for (int d = q.perChannel() ? q.dimension() + 1 : shape.length; d < shape.length; d++) {
                    inner *= shape[d];
                }
                for (int i = 0; i < n; i++) {
                    int c = channels == 1 ? 0 : (i / inner) % channels;
                    long raw = switch (t.type()) {
                        case Schema.UINT8 -> Byte.toUnsignedInt(data.get(i));
                        case Schema.INT8 -> data.get(i);
                        default -> data.getInt(4 * i);
                    };
                    out[i] = (float) (q.scale()[c] * (double) (raw - q.zeroPoint()[c]));
                }
                return out;
            }
            default -> throw new TfliteFormatException(t.describe() + ": constants of type "
                    + Schema.typeName(t.type()) + " are not supported");
        }
    }

    private static void checkFinite(TfliteGraph.TensorInfo t, float[] values) throws TfliteFormatException {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new TfliteFormatException(t.describe() + " contains " + v);
            }
        }
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat needs Java 20). */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal: mantissa * 2^-24
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
