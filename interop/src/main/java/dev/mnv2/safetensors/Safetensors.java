package dev.mnv2.safetensors;

import dev.mnv2.interop.AtomicFiles;
import dev.mnv2.interop.FormatBoundary;
import dev.mnv2.util.Float16;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping
 * each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (plus an optional
 * {@code "__metadata__"} object of strings), then the tensors' raw little-endian bytes, offsets relative
 * to the end of the header.
 *
 * <p>Reading validates everything before any tensor is used: header length within the file and at most
 * {@link #MAX_HEADER_BYTES}, strict UTF-8 and JSON, known dtypes, shapes whose byte size equals the
 * offsets' span, offsets inside the data, no overlaps and no unindexed bytes. Any violation is a
 * {@link SafetensorsFormatException}; memory used never exceeds the file's size.
 */
public final class Safetensors {
    /** Same bound as the reference implementation: a header is metadata, never megabytes of it. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    public static final String METADATA = "__metadata__";
    /** Message prefix of a failure that no explicit check caught. */
    static final String UNCHECKED = "malformed safetensors file: ";

    private Safetensors() {}

    /** One tensor's entry in the header. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A tensor to write: its bytes are already little-endian in the given dtype. */
    public record Entry(String name, DType dtype, long[] shape, byte[] data) {
        public static Entry floats(String name, long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Entry(name, DType.F32, shape, b.array());
        }

        public static Entry int64(String name, long[] shape, long... values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(values);
            return new Entry(name, DType.I64, shape, b.array());
        }
    }

    /** A parsed file: metadata, tensor entries in file order, and the data section. */
    public static final class Contents {
        private final Map<String, String> metadata;
        private final Map<String, TensorInfo> tensors;
        private final ByteBuffer data;

        private Contents(Map<String, String> metadata, Map<String, TensorInfo> tensors, ByteBuffer data) {
            this.metadata = Collections.unmodifiableMap(metadata);
            this.tensors = Collections.unmodifiableMap(tensors);
            this.data = data.order(ByteOrder.LITTLE_ENDIAN);
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        public Map<String, TensorInfo> tensors() {
            return tensors;
        }

        public TensorInfo tensor(String name) throws SafetensorsFormatException {
            TensorInfo info = tensors.get(name);
            if (info == null) {
                throw new SafetensorsFormatException("tensor '" + name + "' is missing");
            }
            return info;
        }

        /** Values of a floating-point tensor (F32, F16, BF16 or F64) as float32. */
        public float[] floats(String name) throws SafetensorsFormatException {
            TensorInfo t = tensor(name);
            int n = (int) t.elements();
            int at = (int) t.begin();
            float[] out = new float[n];
            switch (t.dtype()) {
                case F32 -> data.slice(at, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                case F64 -> {
                    for (int i = 0; i < n; i++) out[i] = (float) data.getDouble(at + 8 * i);
                }
                case F16 -> {
                    for (int i = 0; i < n; i++) out[i] = Float16.toFloat(data.getShort(at + 2 * i));
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((data.getShort(at + 2 * i) & 0xffff) << 16);
                }
                default -> throw new SafetensorsFormatException(
                        "tensor '" + name + "' has dtype " + t.dtype() + ", expected a floating-point type");
            }
            return out;
        }

        /** Values of a signed integer tensor (I8 to I64) as long. */
        public long[] longs(String name) throws SafetensorsFormatException {
            TensorInfo t = tensor(name);
            int n = (int) t.elements();
            int at = (int) t.begin();
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (t.dtype()) {
                    case I64 -> data.getLong(at + 8 * i);
                    case I32 -> data.getInt(at + 4 * i);
                    case I16 -> data.getShort(at + 2 * i);
                    case I8 -> data.get(at + i);
                    default -> throw new SafetensorsFormatException(
                            "tensor '" + name + "' has dtype " + t.dtype() + ", expected a signed integer type");
                };
            }
            return out;
        }
    }

    public static Contents read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsFormatException(size + " bytes is too short for a safetensors file");
            }
            if (size > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException("files over 2 GiB are not supported");
            }
            ByteBuffer all = ByteBuffer.allocate((int) size);
            while (all.hasRemaining() && channel.read(all) >= 0) {
                // read fully
            }
            return parse(all.flip());
        } catch (SafetensorsFormatException e) {
            throw new SafetensorsFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a whole safetensors file held in {@code bytes}. */
    public static Contents parse(ByteBuffer bytes) throws SafetensorsFormatException {
        return guarded(() -> parseChecked(bytes));
    }

    /** Runs {@code step} behind the {@link FormatBoundary}: a runtime exception becomes a SafetensorsFormatException. */
    static <T> T guarded(FormatBoundary.Step<T, SafetensorsFormatException> step) throws SafetensorsFormatException {
        return FormatBoundary.guarded(step, e -> new SafetensorsFormatException(UNCHECKED + e, e));
    }

    private static Contents parseChecked(ByteBuffer bytes) throws SafetensorsFormatException {
        ByteBuffer file = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        long size = file.remaining();
        if (size < 8) {
            throw new SafetensorsFormatException(size + " bytes is too short for a safetensors file");
        }
        long headerLength = file.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
            throw new SafetensorsFormatException("header length " + Long.toUnsignedString(headerLength)
                    + " does not fit a file of " + size + " bytes (at most " + MAX_HEADER_BYTES + " allowed)");
        }
        String json;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(file.slice(8, (int) headerLength));
            json = chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException("header is not valid UTF-8");
        }
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (Json.ParseException e) {
            throw new SafetensorsFormatException("header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw new SafetensorsFormatException("header is not a JSON object");
        }
        ByteBuffer data = file.slice(8 + (int) headerLength, (int) (size - 8 - headerLength));
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                metadata(e.getValue(), metadata);
            } else {
                infos.add(tensorInfo(name, e.getValue(), data.remaining()));
            }
        }
        checkCoverage(infos, data.remaining());
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            tensors.put(t.name(), t);
        }
        return new Contents(metadata, tensors, data);
    }

    private static void metadata(Object value, Map<String, String> out) throws SafetensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(METADATA + " is not a JSON object");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(METADATA + " entry '" + e.getKey() + "' is not a string");
            }
            out.put((String) e.getKey(), s);
        }
    }

    private static TensorInfo tensorInfo(String name, Object value, long dataBytes) throws SafetensorsFormatException {
        if (!(value instanceof Map<?, ?> entry)) {
            throw new SafetensorsFormatException("tensor '" + name + "' is not a JSON object");
        }
        for (Object key : entry.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new SafetensorsFormatException("tensor '" + name + "' has unknown field '" + key + "'");
            }
        }
        DType dtype;
        try {
            dtype = DType.valueOf(String.valueOf(entry.get("dtype")));
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException("tensor '" + name + "' has unknown dtype " + entry.get("dtype"));
        }
        long[] shape = longs(name, "shape", entry.get("shape"));
        long[] offsets = longs(name, "data_offsets", entry.get("data_offsets"));
        if (offsets.length != 2 || offsets[0] > offsets[1] || offsets[1] > dataBytes) {
            throw new SafetensorsFormatException("tensor '" + name + "' has data_offsets " + Arrays.toString(offsets)
                    + " outside the " + dataBytes + " data bytes");
        }
        long bytes = dtype.bytes();
        try {
            for (long d : shape) {
                bytes = Math.multiplyExact(bytes, d);
            }
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw new SafetensorsFormatException("tensor '" + name + "' of " + dtype + " " + Arrays.toString(shape)
                    + " needs " + (bytes == Long.MAX_VALUE ? "too many" : Long.toString(bytes)) + " bytes but its offsets span "
                    + (offsets[1] - offsets[0]));
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(String name, String field, Object value) throws SafetensorsFormatException {
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsFormatException("tensor '" + name + "' has no " + field + " list");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new SafetensorsFormatException("tensor '" + name + "' has a bad " + field + " entry " + list.get(i));
            }
            out[i] = v;
        }
        return out;
    }

    /** The data section must be indexed entirely, each byte by exactly one tensor. */
    private static void checkCoverage(List<TensorInfo> infos, long dataBytes) throws SafetensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() != expected) {
                throw new SafetensorsFormatException("tensor '" + t.name() + "' starts at " + t.begin()
                        + (t.begin() < expected ? ", overlapping the tensor before it" : ", leaving a gap at " + expected));
            }
            expected = t.end();
        }
        if (expected != dataBytes) {
            throw new SafetensorsFormatException((dataBytes - expected) + " data bytes after the last tensor are not indexed");
        }
    }

    /** Writes a safetensors file atomically (temporary file, fsync, rename). */
    public static void write(Path file, Map<String, String> metadata, List<Entry> entries) throws IOException {
        ByteBuffer header = header(metadata, entries);
        AtomicFiles.write(file, channel -> {
            AtomicFiles.writeFully(channel, header);
            for (Entry e : entries) {
                AtomicFiles.writeFully(channel, ByteBuffer.wrap(e.data()));
            }
        });
    }

    public static byte[] toBytes(Map<String, String> metadata, List<Entry> entries) {
        ByteBuffer header = header(metadata, entries);
        ByteBuffer out = ByteBuffer.allocate(header.remaining() + entries.stream().mapToInt(e -> e.data().length).sum());
        out.put(header);
        for (Entry e : entries) {
            out.put(e.data());
        }
        return out.array();
    }

    /** Length prefix and JSON header, padded with spaces to a multiple of 8 so that the data is aligned. */
    private static ByteBuffer header(Map<String, String> metadata, List<Entry> entries) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            json.put(METADATA, metadata);
        }
        long offset = 0;
        for (Entry e : entries) {
            long bytes = e.dtype().bytes();
            for (long d : e.shape()) {
                bytes *= d;
            }
            if (bytes != e.data().length) {
                throw new IllegalArgumentException("tensor '" + e.name() + "' has " + e.data().length
                        + " bytes, its shape needs " + bytes);
            }
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype().name());
            info.put("shape", toList(e.shape()));
            info.put("data_offsets", List.of(offset, offset + bytes));
            if (json.put(e.name(), info) != null) {
                throw new IllegalArgumentException("tensor '" + e.name() + "' given twice");
            }
            offset += bytes;
        }
        byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(text);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.flip();
    }

    private static List<Long> toList(long[] values) {
        List<Long> list = new ArrayList<>();
        for (long v : values) {
            list.add(v);
        }
        return list;
    }
}
