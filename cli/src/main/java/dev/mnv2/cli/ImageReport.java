package dev.mnv2.cli;

import dev.mnv2.util.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a command that runs over several images reports: one result per image (JSON objects collected for
 * {@code {"results":[...]}}), and a one-line error for an image that failed while the others go on.
 */
final class ImageReport {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;
    private final List<Object> results = new ArrayList<>();
    private int failures;

    ImageReport(PrintWriter out, PrintWriter err, boolean json) {
        this.out = out;
        this.err = err;
        this.json = json;
    }

    /** Collects one image's JSON result (text results are printed by the command as they come). */
    void add(Map<String, Object> result) {
        results.add(result);
    }

    void failed(Path image, Exception e) {
        failures++;
        err.println("mnv2: " + Mnv2.describe(e));
        if (json) {
            Map<String, Object> failed = new LinkedHashMap<>();
            failed.put("image", image.toString());
            failed.put("error", Mnv2.describe(e));
            results.add(failed);
        }
    }

    /** Prints the JSON results, if any, and gives the exit code: 1 when any image failed. */
    int finish() {
        return finish(Map.of());
    }

    /** {@link #finish()} with {@code totals} beside the results in the JSON object (a score over all images). */
    int finish(Map<String, Object> totals) {
        if (json) {
            Map<String, Object> object = new LinkedHashMap<>();
            object.put("results", results);
            object.putAll(totals);
            out.println(Json.write(object));
        }
        out.flush();
        err.flush();
        return failures == 0 ? 0 : 1;
    }
}
