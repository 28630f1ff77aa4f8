package dev.mnv2.tflite;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mnv2.fuzz.ReaderContract;
import dev.mnv2.fuzz.SeedNetworks;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.Network;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TfliteModels#load(byte[])} on fuzzed bytes ends in a model or a {@link TfliteFormatException}
 * ({@link UnsupportedModelException} included) that an explicit check raised, never in the safety net
 * for raw runtime errors, and within its allocation budget. In the same package as the reader for
 * {@link TfliteWriter} and the safety net's message prefix.
 */
class TfliteFuzzTest {
    /**
     * Dequantising int8 weights to float32 takes 4 bytes per stored byte, and the importer holds the
     * weights in the file's layout, the network's and the folded one's; 64 bytes per input byte leaves
     * room for that, the fixed part for the flatbuffer runtime and the graph.
     */
    private static final ReaderContract CONTRACT =
            new ReaderContract("tflite", 16L << 20, 64,
                    List.of(TfliteFormatException.class), TfliteModels.UNCHECKED);

    /**
     * Small models in every layout and weight type TfliteWriter writes, one with embedded labels, a Mobile
     * DeepLabv3 segmentation model and a cyclic graph.
     */
    private static final List<byte[]> SEEDS = seedModels();

    static {
        ReaderContract.warmUp(SEEDS, TfliteModels::load);
    }

    static Stream<Arguments> seeds() {
        return SEEDS.stream().map(bytes -> Arguments.of((Object) bytes));
    }

    private static List<byte[]> seedModels() {
        Network network = SeedNetworks.tiny().foldBatchNorm();
        Network labelled = SeedNetworks.labelled(network);
        return List.of(
                TfliteWriter.write(labelled),
                TfliteWriter.write(network, TfliteWriter.Graph.KERAS, TfliteWriter.Weights.INT8),
                TfliteWriter.write(network, TfliteWriter.Graph.UNFUSED, TfliteWriter.Weights.FLOAT16),
                TfliteWriter.write(network, TfliteWriter.Graph.TF1_QUANTIZED, TfliteWriter.Weights.UINT8),
                TfliteWriter.write(DeepLabV3.builder().width(0.1).resolution(33).outputStride(16).classes(3)
                        .headChannels(8).seed(5).build().foldBatchNorm()),
                TfliteWriter.cyclic(2));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10s")
    void load(byte[] input) {
        CONTRACT.check(input, TfliteModels::load);
    }

    @AfterAll
    static void report() {
        System.out.println(CONTRACT.report(ReaderContract.reportDirectory()));
    }
}
