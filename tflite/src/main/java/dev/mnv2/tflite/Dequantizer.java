package dev.mnv2.tflite;

import dev.mnv2.util.Float16;
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
                    out[i] = Float16.toFloat(data.getShort(2 * i));
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
}
