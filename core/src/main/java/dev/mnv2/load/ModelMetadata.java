package dev.mnv2.load;

import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Network;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The string map that mnv2 writes into exported files (ONNX {@code metadata_props}, safetensors
 * {@code __metadata__}) and reads back, so that an export loads as the model it came from: the network's
 * configuration ({@link dev.mnv2.model.NetworkConfig#toMap()}), the {@link Task}, the pixel scaling as
 * per-channel means and deviations, the labels and the evaluation crop.
 *
 * <pre>{@code
 * task       classification
 * pixelMean  128.0,128.0,128.0     input = (pixel - mean) / std, per RGB channel
 * pixelStd   128.0,128.0,128.0
 * labels     ["background","tench",...]
 * centralCrop 0.875                 fraction of each side evaluation keeps
 * }</pre>
 *
 * Floats are written with {@link Float#toString(float)}, which reads back to the same float, so a round
 * trip scales pixels bit for bit as the source did. A file without these entries gets the convention of
 * its layout ({@link PixelScaling#conventionOf}) and no labels.
 */
public final class ModelMetadata {
    /** Key of the task: {@code classification} or {@code segmentation}. */
    public static final String TASK = "task";
    /** Key of the per-channel pixel means, red, green and blue, separated by commas. */
    public static final String PIXEL_MEAN = "pixelMean";
    /** Key of the per-channel pixel deviations, red, green and blue, separated by commas. */
    public static final String PIXEL_STD = "pixelStd";
    /** Key of the labels, a JSON array of strings. */
    public static final String LABELS = "labels";
    /** Key of the evaluation central crop, the fraction of each side kept ({@link InputSpec#centralCrop()}). */
    public static final String CENTRAL_CROP = "centralCrop";

    private ModelMetadata() {}

    /** The entries describing {@code model}: its configuration, task, pixel scaling and labels. */
    public static Map<String, String> of(LoadedModel model) {
        Map<String, String> map = new LinkedHashMap<>(model.network().config().toMap());
        map.put(TASK, model.task().metadataName());
        PixelScaling s = model.input().scaling();
        map.put(PIXEL_MEAN, floats(s.meanRed(), s.meanGreen(), s.meanBlue()));
        map.put(PIXEL_STD, floats(s.stdRed(), s.stdGreen(), s.stdBlue()));
        map.put(LABELS, Labels.toJson(model.input().labels()));
        map.put(CENTRAL_CROP, Double.toString(model.input().centralCrop()));
        return map;
    }

    /**
     * {@code network} with the input spec {@code metadata} states: its pixel scaling and labels where the
     * entries are present, the convention of its layout and no labels where they are not. A task entry
     * must be the network's.
     *
     * @throws IllegalArgumentException naming the entry that is malformed or does not fit the network
     */
    public static LoadedModel read(Network network, Map<String, String> metadata) {
        String task = metadata.get(TASK);
        if (task != null) {
            Task stated;
            try {
                stated = Task.fromMetadataName(task);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("metadata " + e.getMessage());
            }
            Task actual = Task.of(network.config());
            if (stated != actual) {
                throw new IllegalArgumentException("metadata task " + task + " does not match the "
                        + network.config().architecture() + " network, a " + actual.metadataName() + " model");
            }
        }
        PixelScaling scaling = scaling(metadata).orElseGet(() -> PixelScaling.conventionOf(network.config()));
        List<String> labels = labels(metadata);
        InputSpec input = new InputSpec(network.input().height(), network.input().width(), scaling, labels,
                centralCrop(metadata).orElse(ImagePreprocessor.DEFAULT_CENTRAL_CROP));
        try {
            return new LoadedModel(network, input);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata labels do not fit the model: " + e.getMessage());
        }
    }

    /**
     * The labels {@code metadata} states, or none. For a reader that runs the file elsewhere (ONNX Runtime)
     * and has no {@link Network} to {@link #read} it into.
     *
     * @throws IllegalArgumentException when the entry is no JSON array of strings
     */
    public static List<String> labels(Map<String, String> metadata) {
        String text = metadata.get(LABELS);
        if (text == null) {
            return List.of();
        }
        try {
            return Labels.fromJson(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata " + e.getMessage());
        }
    }

    /**
     * The pixel scaling {@code metadata} states, or empty when it has neither entry (the reader then
     * chooses a convention, as {@link #read} does).
     *
     * @throws IllegalArgumentException naming the entry that is missing its pair or malformed
     */
    public static Optional<PixelScaling> scaling(Map<String, String> metadata) {
        String mean = metadata.get(PIXEL_MEAN);
        String std = metadata.get(PIXEL_STD);
        if (mean == null && std == null) {
            return Optional.empty();
        }
        if (mean == null || std == null) {
            throw new IllegalArgumentException("metadata has " + (mean == null ? PIXEL_STD : PIXEL_MEAN)
                    + " without " + (mean == null ? PIXEL_MEAN : PIXEL_STD));
        }
        float[] m = parseFloats(PIXEL_MEAN, mean);
        float[] s = parseFloats(PIXEL_STD, std);
        try {
            return Optional.of(new PixelScaling(m[0], m[1], m[2], s[0], s[1], s[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata " + PIXEL_MEAN + " '" + mean + "' and " + PIXEL_STD + " '"
                    + std + "': " + e.getMessage());
        }
    }

    /**
     * The evaluation central crop {@code metadata} states, or empty when it has none (ImageNet's 0.875 is
     * then the convention).
     *
     * @throws IllegalArgumentException when the entry is no fraction in (0, 1]
     */
    public static Optional<Double> centralCrop(Map<String, String> metadata) {
        String text = metadata.get(CENTRAL_CROP);
        if (text == null) {
            return Optional.empty();
        }
        double crop;
        try {
            crop = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            crop = Double.NaN;
        }
        if (!(crop > 0 && crop <= 1)) {
            throw new IllegalArgumentException("metadata " + CENTRAL_CROP + " '" + text + "' is not a fraction in (0, 1]");
        }
        return Optional.of(crop);
    }

    private static String floats(float... values) {
        StringBuilder b = new StringBuilder();
        for (float v : values) {
            b.append(b.length() == 0 ? "" : ",").append(v);
        }
        return b.toString();
    }

    private static float[] parseFloats(String key, String text) {
        String[] parts = text.split(",", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("metadata " + key + " '" + text + "' is not three numbers (red, green,"
                    + " blue)");
        }
        float[] values = new float[3];
        for (int i = 0; i < 3; i++) {
            try {
                values[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("metadata " + key + " '" + text + "' is not three numbers (red,"
                        + " green, blue)");
            }
        }
        return values;
    }
}
