package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mnv2.fuzz.ReaderContract;
import dev.mnv2.fuzz.SeedNetworks;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.proto.OnnxProto.AttributeProto;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link OnnxImporter#fromBytes} on fuzzed bytes ends in a network or an {@link OnnxFormatException} that an
 * explicit check raised, never its safety net (in the importer's package for the net's message prefix).
 */
class OnnxFuzzTest {
    /**
     * The protobuf runtime holds the parsed model beside its bytes and the importer the network built
     * from it (float32 as in the file, plus the batch-norm folding), so 64 bytes per input byte;
     * the fixed part covers a network whose width or class count the metadata inflates.
     */
    private static final ReaderContract CONTRACT =
            new ReaderContract("onnx", 16L << 20, 64,
                    List.of(OnnxFormatException.class), OnnxImporter.UNCHECKED);

    /** The exporter's graphs: folded, with BatchNormalization nodes, with Softmax and labels. */
    private static final List<byte[]> SEEDS = seedModels();

    static {
        ReaderContract.warmUp(SEEDS, OnnxImporter::fromBytes);
    }

    static Stream<Arguments> seeds() {
        return SEEDS.stream().map(bytes -> Arguments.of((Object) bytes));
    }

    private static List<byte[]> seedModels() {
        Network network = SeedNetworks.tiny();
        return List.of(
                OnnxExporter.builder().build().toBytes(network),
                OnnxExporter.builder().foldBatchNorm(false).build().toBytes(network),
                OnnxExporter.builder().softmax(true).build().toBytes(SeedNetworks.labelled(network)));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10s")
    void fromBytes(byte[] input) {
        CONTRACT.check(input, OnnxImporter::fromBytes);
    }

    /**
     * The fuzzer's first finding, rebuilt small (its input was a 426 KB model): a name from the file holding a
     * line break or an escape sequence made the error message span lines. Names are now escaped.
     */
    @Test
    void controlCharactersInQuotedNamesAreEscaped() {
        ModelProto.Builder model = OnnxExporter.builder().build().toModel(SeedNetworks.tiny()).toBuilder();
        model.getGraphBuilder().getNodeBuilder(0).addAttribute(AttributeProto.newBuilder()
                .setName("pads\n\u001b[2J").setType(AttributeProto.AttributeType.INT).setI(1));
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxImporter.fromBytes(model.build().toByteArray()));
        assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\u001b'), e.getMessage());
        assertTrue(e.getMessage().contains("pads\\u000a\\u001b[2J"), e.getMessage());
    }

    @AfterAll
    static void report() {
        System.out.println(CONTRACT.report(ReaderContract.reportDirectory()));
    }
}
