package dev.mnv2.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the benchmarks print about the machine they ran on, read from /proc. */
final class Machine {
    /** The vector extensions that decide which kernels an engine can use, in the order printed. */
    private static final List<String> ISA_FLAGS = List.of("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
            "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile");

    private Machine() {}

    static String cpuModel() {
        Matcher m = Pattern.compile("(?m)^model name\\s*:\\s*(.+)$").matcher(cpuinfo());
        return m.find() ? m.group(1).trim() : System.getProperty("os.arch");
    }

    /** The first core's clock in GHz as /proc/cpuinfo reports it, or NaN. */
    static double clockGhz() {
        Matcher m = Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9.]+)").matcher(cpuinfo());
        return m.find() ? Double.parseDouble(m.group(1)) / 1000 : Double.NaN;
    }

    /** The vector extensions of {@link #ISA_FLAGS} the first core lists, space-separated ("unknown" if none). */
    static String isa() {
        Matcher m = Pattern.compile("(?m)^flags\\s*:\\s*(.+)$").matcher(cpuinfo());
        if (!m.find()) {
            return "unknown";
        }
        Set<String> flags = Set.of(m.group(1).trim().split("\\s+"));
        List<String> present = new ArrayList<>();
        for (String flag : ISA_FLAGS) {
            if (flags.contains(flag)) {
                present.add(flag);
            }
        }
        return present.isEmpty() ? "none of " + ISA_FLAGS : String.join(" ", present);
    }

    static String loadAverage() {
        String text = read(Path.of("/proc/loadavg"));
        return text.isEmpty() ? "n/a" : String.join(" ", Arrays.copyOf(text.trim().split(" "), 3));
    }

    /** A line of /proc/self/status in bytes ({@code VmRSS}, {@code VmHWM}), or -1 where there is none. */
    static long processMemoryBytes(String field) {
        Matcher m = Pattern.compile("(?m)^" + field + ":\\s*(\\d+) kB").matcher(read(Path.of("/proc/self/status")));
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    private static String cpuinfo() {
        return read(Path.of("/proc/cpuinfo"));
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
