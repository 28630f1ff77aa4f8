package dev.mnv2.tflite;

import java.nio.ByteBuffer;

/**
 * The subset of TensorFlow Lite's schema.fbs this reader needs, as checked accessors. Field ids are the
 * declaration order in schema.fbs; enum values are TFLite's.
 */
final class Schema {
    private Schema() {}

    static final String FILE_IDENTIFIER = "TFL3";

    /** Upper bounds far above any real classifier; they stop hostile counts before anything is allocated. */
    static final int MAX_TENSORS = 1 << 16;
    static final int MAX_OPERATORS = 1 << 16;
    static final int MAX_OPERATOR_IO = 64;
    static final int MAX_RANK = 8;
    static final int MAX_CHANNELS = 1 << 16;

    /** TensorType. */
    static final int FLOAT32 = 0, FLOAT16 = 1, INT32 = 2, UINT8 = 3, INT64 = 4, STRING = 5, BOOL = 6, INT16 = 7,
            INT8 = 9, FLOAT64 = 10;

    static String typeName(int type) {
        return switch (type) {
            case FLOAT32 -> "float32";
            case FLOAT16 -> "float16";
            case INT32 -> "int32";
            case UINT8 -> "uint8";
            case INT64 -> "int64";
            case STRING -> "string";
            case BOOL -> "bool";
            case INT16 -> "int16";
            case INT8 -> "int8";
            case FLOAT64 -> "float64";
            default -> "type " + type;
        };
    }

    /** Bytes per element, or 0 for types this reader cannot size. */
    static int typeSize(int type) {
        return switch (type) {
            case FLOAT32, INT32 -> 4;
            case FLOAT16, INT16 -> 2;
            case UINT8, INT8, BOOL -> 1;
            case INT64, FLOAT64 -> 8;
            default -> 0;
        };
    }

    /** BuiltinOperator codes used by MobileNetV2 classifiers. */
    static final int ADD = 0, AVERAGE_POOL_2D = 1, CONV_2D = 3, DEPTHWISE_CONV_2D = 4, DEQUANTIZE = 6,
            FULLY_CONNECTED = 9, RELU = 19, RELU6 = 21, RESHAPE = 22, SOFTMAX = 25, PAD = 34, MEAN = 40, SQUEEZE = 43,
            QUANTIZE = 114, CUSTOM = 32, CONCATENATION = 2, RESIZE_BILINEAR = 23, ARG_MAX = 56;

    static String operatorName(int code) {
        return switch (code) {
            case ADD -> "ADD";
            case AVERAGE_POOL_2D -> "AVERAGE_POOL_2D";
            case CONCATENATION -> "CONCATENATION";
            case CONV_2D -> "CONV_2D";
            case DEPTHWISE_CONV_2D -> "DEPTHWISE_CONV_2D";
            case DEQUANTIZE -> "DEQUANTIZE";
            case FULLY_CONNECTED -> "FULLY_CONNECTED";
            case 14 -> "LOGISTIC";
            case 17 -> "MAX_POOL_2D";
            case 18 -> "MUL";
            case RELU -> "RELU";
            case RELU6 -> "RELU6";
            case RESHAPE -> "RESHAPE";
            case RESIZE_BILINEAR -> "RESIZE_BILINEAR";
            case ARG_MAX -> "ARG_MAX";
            case SOFTMAX -> "SOFTMAX";
            case CUSTOM -> "CUSTOM";
            case PAD -> "PAD";
            case MEAN -> "MEAN";
            case 41 -> "SUB";
            case SQUEEZE -> "SQUEEZE";
            case 117 -> "HARD_SWISH";
            case QUANTIZE -> "QUANTIZE";
            default -> "builtin operator " + code;
        };
    }

    /** BuiltinOptions union types. */
    static final int CONV_2D_OPTIONS = 1, DEPTHWISE_CONV_2D_OPTIONS = 2, POOL_2D_OPTIONS = 5,
            FULLY_CONNECTED_OPTIONS = 8, SOFTMAX_OPTIONS = 9, ADD_OPTIONS = 11, RESHAPE_OPTIONS = 17,
            REDUCER_OPTIONS = 27, SQUEEZE_OPTIONS = 30, CONCATENATION_OPTIONS = 10, RESIZE_BILINEAR_OPTIONS = 15,
            ARG_MAX_OPTIONS = 40;

    /** Padding. */
    static final int SAME = 0, VALID = 1;

    /** ActivationFunctionType. */
    static final int ACT_NONE = 0, ACT_RELU = 1, ACT_RELU_N1_TO_1 = 2, ACT_RELU6 = 3, ACT_TANH = 4;

    static final class Model extends CheckedTable {
        long version() throws TfliteFormatException {
            return uint32(0, 0);
        }

        long[] operatorCodes() throws TfliteFormatException {
            return tablePositions(1, MAX_OPERATORS, "operator_codes");
        }

        long[] subgraphs() throws TfliteFormatException {
            return tablePositions(2, 1 << 10, "subgraphs");
        }

        long[] buffers() throws TfliteFormatException {
            return tablePositions(4, MAX_TENSORS + 1, "buffers");
        }
    }

    static final class OperatorCode extends CheckedTable {
        /** The builtin code: the larger of the deprecated byte field and the int field, as TFLite reads it. */
        int builtinCode() throws TfliteFormatException {
            return Math.max(int8(0, 0), int32(3, 0));
        }

        String customCode() throws TfliteFormatException {
            return string(1, "custom_code");
        }
    }

    static final class SubGraph extends CheckedTable {
        long[] tensors() throws TfliteFormatException {
            return tablePositions(0, MAX_TENSORS, "tensors");
        }

        int[] inputs() throws TfliteFormatException {
            return ints(1, MAX_OPERATOR_IO, "inputs");
        }

        int[] outputs() throws TfliteFormatException {
            return ints(2, MAX_OPERATOR_IO, "outputs");
        }

        long[] operators() throws TfliteFormatException {
            return tablePositions(3, MAX_OPERATORS, "operators");
        }
    }

    static final class Tensor extends CheckedTable {
        int[] shape() throws TfliteFormatException {
            return ints(0, MAX_RANK, "shape");
        }

        int type() throws TfliteFormatException {
            return int8(1, FLOAT32);
        }

        long buffer() throws TfliteFormatException {
            return uint32(2, 0);
        }

        String name() throws TfliteFormatException {
            return string(3, "name");
        }

        Quantization quantization() throws TfliteFormatException {
            return table(4, new Quantization(), "quantization");
        }

        boolean sparse() throws TfliteFormatException {
            return has(6);
        }
    }

    static final class Quantization extends CheckedTable {
        float[] min() throws TfliteFormatException {
            return floats(0, MAX_CHANNELS, "min");
        }

        float[] max() throws TfliteFormatException {
            return floats(1, MAX_CHANNELS, "max");
        }

        float[] scale() throws TfliteFormatException {
            return floats(2, MAX_CHANNELS, "scale");
        }

        long[] zeroPoint() throws TfliteFormatException {
            return longs(3, MAX_CHANNELS, "zero_point");
        }

        int quantizedDimension() throws TfliteFormatException {
            return int32(6, 0);
        }
    }

    static final class Operator extends CheckedTable {
        long opcodeIndex() throws TfliteFormatException {
            return uint32(0, 0);
        }

        int[] inputs() throws TfliteFormatException {
            return ints(1, MAX_OPERATOR_IO, "inputs");
        }

        int[] outputs() throws TfliteFormatException {
            return ints(2, MAX_OPERATOR_IO, "outputs");
        }

        int optionsType() throws TfliteFormatException {
            return uint8(3, 0);
        }

        Options options() throws TfliteFormatException {
            return table(4, new Options(), "builtin_options");
        }
    }

    /** Any builtin options table; the accessors name the fields of the option types MobileNetV2 uses. */
    static final class Options extends CheckedTable {
        /** Conv2DOptions, DepthwiseConv2DOptions and Pool2DOptions share padding, stride_w, stride_h. */
        int padding() throws TfliteFormatException {
            return int8(0, SAME);
        }

        int strideW() throws TfliteFormatException {
            return int32(1, 0);
        }

        int strideH() throws TfliteFormatException {
            return int32(2, 0);
        }

        int convActivation() throws TfliteFormatException {
            return int8(3, ACT_NONE);
        }

        int convDilationW() throws TfliteFormatException {
            return int32(4, 1);
        }

        int convDilationH() throws TfliteFormatException {
            return int32(5, 1);
        }

        int depthMultiplier() throws TfliteFormatException {
            return int32(3, 0);
        }

        int depthwiseActivation() throws TfliteFormatException {
            return int8(4, ACT_NONE);
        }

        int depthwiseDilationW() throws TfliteFormatException {
            return int32(5, 1);
        }

        int depthwiseDilationH() throws TfliteFormatException {
            return int32(6, 1);
        }

        int poolFilterW() throws TfliteFormatException {
            return int32(3, 0);
        }

        int poolFilterH() throws TfliteFormatException {
            return int32(4, 0);
        }

        int poolActivation() throws TfliteFormatException {
            return int8(5, ACT_NONE);
        }

        /** AddOptions and FullyConnectedOptions: fused_activation_function is field 0. */
        int firstFieldActivation() throws TfliteFormatException {
            return int8(0, ACT_NONE);
        }

        /** FullyConnectedOptions.weights_format: 0 is DEFAULT. */
        int fullyConnectedWeightsFormat() throws TfliteFormatException {
            return int8(1, 0);
        }

        float softmaxBeta() throws TfliteFormatException {
            return float32(0, 0f);
        }

        /** ConcatenationOptions: axis, then fused_activation_function. */
        int concatAxis() throws TfliteFormatException {
            return int32(0, 0);
        }

        int concatActivation() throws TfliteFormatException {
            return int8(1, ACT_NONE);
        }

        /** ResizeBilinearOptions: fields 0 and 1 (new_height, new_width) are deprecated. */
        boolean resizeAlignCorners() throws TfliteFormatException {
            return uint8(2, 0) != 0;
        }

        boolean resizeHalfPixelCenters() throws TfliteFormatException {
            return uint8(3, 0) != 0;
        }
    }

    static final class Buffer extends CheckedTable {
        ByteBuffer data() throws TfliteFormatException {
            return bytes(0, "data");
        }

        /** Large models keep data outside the flatbuffer at this absolute file offset (1 means "none"). */
        long offset() throws TfliteFormatException {
            return int64(1, 0);
        }

        long size() throws TfliteFormatException {
            return int64(2, 0);
        }
    }
}
