package dev.mnv2.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the benchmarks print about the machine they ran on, read from /proc. */
final class Machine {
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

    /** The vector extensions the first core lists, e.g. {@code AVX-512 (f, bw, vl, dq, vnni, bf16) + AVX2 + FMA}. */
    static String isa() {
        Matcher m = Pattern.compile("(?m)^flags\\s*:\\s*(.+)$").matcher(cpuinfo());
        if (!m.find()) {
            return System.getProperty("os.arch");
        }
        List<String> flags = List.of(m.group(1).trim().split("\\s+"));
        List<String> avx512 = new ArrayList<>();
        for (String f : List.of("f", "bw", "vl", "dq", "vnni", "bf16")) {
            if (flags.contains("avx512" + f) || flags.contains("avx512_" + f)) {
                avx512.add(f);
            }
        }
        List<String> parts = new ArrayList<>();
        if (!avx512.isEmpty()) {
            parts.add("AVX-512 (" + String.join(", ", avx512) + ")");
        }
        if (flags.contains("avx2")) {
            parts.add("AVX2");
        }
        if (flags.contains("fma")) {
            parts.add("FMA");
        }
        return parts.isEmpty() ? "no AVX" : String.join(" + ", parts);
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
