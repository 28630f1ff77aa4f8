package dev.mnv2.tflite;

import com.google.flatbuffers.Table;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A flatbuffer table whose every read is bounds-checked against the file before it happens, so that a
 * truncated or hostile file ends in a {@link TfliteFormatException} naming the table and field, never in an
 * IndexOutOfBoundsException or a huge allocation. Field ids are the schema's field order (slot 4 + 2 * id).
 */
class CheckedTable extends Table {
    /** The file and how many bytes copying out of it may still allocate (guards against shared offsets). */
    static final class Source {
        final ByteBuffer bytes;
        private long copyBudget;

        Source(ByteBuffer bytes) {
            this.bytes = bytes;
            this.copyBudget = 4L * bytes.limit() + (1 << 20);
        }

        void spend(long n, String what) throws TfliteFormatException {
            copyBudget -= n;
            if (copyBudget < 0) {
                throw new TfliteFormatException(what + ": the file refers to the same data implausibly often");
            }
        }
    }

    private Source source;
    private String what;
    private int vtable;
    private int vtableSize;
    private int tableSize;

    /** Binds this accessor to the table at absolute position {@code pos} of {@code buffer}. */
    final <T extends CheckedTable> T bind(Source from, long pos, String name) throws TfliteFormatException {
        this.source = from;
        this.what = name;
        ByteBuffer buffer = from.bytes;
        int limit = buffer.limit();
        if (pos < 0 || pos > limit - 4L) {
            throw fail("table starts at " + pos + ", outside the " + limit + "-byte file");
        }
        long vt = pos - buffer.getInt((int) pos);
        if (vt < 0 || vt > limit - 4L) {
            throw fail("vtable at " + vt + " is outside the file");
        }
        int vtSize = Short.toUnsignedInt(buffer.getShort((int) vt));
        int tSize = Short.toUnsignedInt(buffer.getShort((int) vt + 2));
        if (vtSize < 4 || vtSize % 2 != 0 || vt + vtSize > limit) {
            throw fail("vtable of " + vtSize + " bytes does not fit the file");
        }
        if (tSize < 4 || pos + tSize > limit) {
            throw fail("table of " + tSize + " bytes does not fit the file");
        }
        __reset((int) pos, buffer);
        this.vtable = (int) vt;
        this.vtableSize = vtSize;
        this.tableSize = tSize;
        @SuppressWarnings("unchecked")
        T self = (T) this;
        return self;
    }

    final Source source() {
        return source;
    }

    final TfliteFormatException fail(String problem) {
        return new TfliteFormatException(what + ": " + problem);
    }

    /** Absolute position of field {@code id}, {@code width} bytes wide, or -1 when absent. */
    private int field(int id, int width) throws TfliteFormatException {
        int slot = 4 + 2 * id;
        if (slot + 2 > vtableSize) {
            return -1;
        }
        int offset = __offset(slot);
        if (offset == 0) {
            return -1;
        }
        if (offset < 4 || offset + width > tableSize) {
            throw fail("field " + id + " at offset " + offset + " lies outside its " + tableSize + "-byte table");
        }
        return bb_pos + offset;
    }

    final boolean has(int id) throws TfliteFormatException {
        return field(id, 1) >= 0;
    }

    final int int8(int id, int defaultValue) throws TfliteFormatException {
        int p = field(id, 1);
        return p < 0 ? defaultValue : bb.get(p);
    }

    final int uint8(int id, int defaultValue) throws TfliteFormatException {
        int p = field(id, 1);
        return p < 0 ? defaultValue : Byte.toUnsignedInt(bb.get(p));
    }

    final int int32(int id, int defaultValue) throws TfliteFormatException {
        int p = field(id, 4);
        return p < 0 ? defaultValue : bb.getInt(p);
    }

    final long uint32(int id, long defaultValue) throws TfliteFormatException {
        int p = field(id, 4);
        return p < 0 ? defaultValue : Integer.toUnsignedLong(bb.getInt(p));
    }

    final long int64(int id, long defaultValue) throws TfliteFormatException {
        int p = field(id, 8);
        return p < 0 ? defaultValue : bb.getLong(p);
    }

    final float float32(int id, float defaultValue) throws TfliteFormatException {
        int p = field(id, 4);
        return p < 0 ? defaultValue : bb.getFloat(p);
    }

    /** Absolute position that the offset field {@code id} points to, or -1 when absent. */
    private long target(int id) throws TfliteFormatException {
        int p = field(id, 4);
        if (p < 0) {
            return -1;
        }
        long target = p + Integer.toUnsignedLong(bb.getInt(p));
        if (target > bb.limit() - 4L) {
            throw fail("field " + id + " points to " + target + ", outside the " + bb.limit() + "-byte file");
        }
        return target;
    }

    /** Sub-table in field {@code id}, or null when absent. */
    final <T extends CheckedTable> T table(int id, T accessor, String name) throws TfliteFormatException {
        long target = target(id);
        return target < 0 ? null : accessor.bind(source, target, what + "." + name);
    }

    /** A vector's element count and the position of its first element, checked to fit the file. */
    record Vector(int start, int length) {
        static final Vector EMPTY = new Vector(0, 0);
    }

    final Vector vector(int id, int elementSize, int maxLength, String name) throws TfliteFormatException {
        long target = target(id);
        if (target < 0) {
            return Vector.EMPTY;
        }
        long length = Integer.toUnsignedLong(bb.getInt((int) target));
        if (target + 4 + length * elementSize > bb.limit()) {
            throw fail(name + " of " + length + " entries runs past the end of the file");
        }
        if (length > maxLength) {
            throw fail(name + " has " + length + " entries, at most " + maxLength + " are plausible");
        }
        return new Vector((int) target + 4, (int) length);
    }

    final int[] ints(int id, int maxLength, String name) throws TfliteFormatException {
        Vector v = vector(id, 4, maxLength, name);
        source.spend(4L * v.length(), what + "." + name);
        int[] out = new int[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getInt(v.start() + 4 * i);
        }
        return out;
    }

    final long[] longs(int id, int maxLength, String name) throws TfliteFormatException {
        Vector v = vector(id, 8, maxLength, name);
        source.spend(8L * v.length(), what + "." + name);
        long[] out = new long[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getLong(v.start() + 8 * i);
        }
        return out;
    }

    final float[] floats(int id, int maxLength, String name) throws TfliteFormatException {
        Vector v = vector(id, 4, maxLength, name);
        source.spend(4L * v.length(), what + "." + name);
        float[] out = new float[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getFloat(v.start() + 4 * i);
        }
        return out;
    }

    /** A read-only little-endian view of a byte vector (no copy). */
    final ByteBuffer bytes(int id, String name) throws TfliteFormatException {
        Vector v = vector(id, 1, Integer.MAX_VALUE, name);
        return slice(bb, v.start(), v.length());
    }

    static ByteBuffer slice(ByteBuffer buffer, int start, int length) {
        ByteBuffer view = buffer.duplicate();
        view.limit(start + length).position(start);
        return view.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    final String string(int id, String name) throws TfliteFormatException {
        Vector v = vector(id, 1, 1 << 16, name);
        source.spend(2L * v.length(), what + "." + name);
        byte[] raw = new byte[v.length()];
        bb.duplicate().position(v.start()).get(raw);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw fail(name + " is not valid UTF-8");
        }
    }

    /** Positions of the tables of a vector of tables, each checked to lie inside the file. */
    final long[] tablePositions(int id, int maxLength, String name) throws TfliteFormatException {
        Vector v = vector(id, 4, maxLength, name);
        source.spend(8L * v.length(), what + "." + name);
        long[] out = new long[v.length()];
        for (int i = 0; i < out.length; i++) {
            int p = v.start() + 4 * i;
            out[i] = p + Integer.toUnsignedLong(bb.getInt(p));
            if (out[i] > bb.limit() - 4L) {
                throw fail(name + "[" + i + "] points outside the file");
            }
        }
        return out;
    }
}
