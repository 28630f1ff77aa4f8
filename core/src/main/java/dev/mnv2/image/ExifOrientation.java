package dev.mnv2.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The EXIF orientation tag of JPEG photos. Cameras and phones store pixels as the sensor saw them and
 * record how to turn them upright in this tag; ImageIO ignores it, so without it a portrait photo reaches
 * the network lying on its side.
 */
final class ExifOrientation {
    /** Exif lives in an APP1 segment, which is at most 64 KB and comes before the image data. */
    private static final int HEAD_BYTES = 1 << 17;
    private static final int ORIENTATION_TAG = 0x0112;
    private static final int SHORT_TYPE = 3;

    private ExifOrientation() {}

    /**
     * Orientation 1 to 8 of a JPEG file; 1 (upright) for other formats or when there is no readable tag.
     * The segments are scanned here rather than through ImageIO's metadata, which rejects valid photos
     * whose Exif segment precedes the JFIF one.
     */
    static int of(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(HEAD_BYTES);
        }
        return ofJpeg(head);
    }

    static int ofJpeg(byte[] b) {
        if (b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
            return 1;
        }
        int at = 2;
        while (at + 4 <= b.length && (b[at] & 0xFF) == 0xFF) {
            int marker = b[at + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) { // start of scan or end of image: no more headers
                break;
            }
            int length = (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
            if (length < 2 || at + 2 + length > b.length) {
                break;
            }
            if (marker == 0xE1) {
                int orientation = fromExif(Arrays.copyOfRange(b, at + 4, at + 2 + length));
                if (orientation != 0) {
                    return orientation;
                }
            }
            at += 2 + length;
        }
        return 1;
    }

    /** Parses "Exif\0\0" + TIFF header + IFD0 for the orientation tag; 0 when the data holds none. */
    static int fromExif(byte[] data) {
        int tiff = 6;
        if (data.length < tiff + 8 || data[0] != 'E' || data[1] != 'x' || data[2] != 'i' || data[3] != 'f'
                || data[4] != 0 || data[5] != 0) {
            return 0;
        }
        boolean little;
        if (data[tiff] == 'I' && data[tiff + 1] == 'I') {
            little = true;
        } else if (data[tiff] == 'M' && data[tiff + 1] == 'M') {
            little = false;
        } else {
            return 0;
        }
        long ifd = tiff + u32(data, tiff + 4, little);
        if (ifd + 2 > data.length) {
            return 0;
        }
        int entries = u16(data, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            long entry = ifd + 2 + 12L * i;
            if (entry + 12 > data.length) {
                return 0;
            }
            int at = (int) entry;
            if (u16(data, at, little) == ORIENTATION_TAG && u16(data, at + 2, little) == SHORT_TYPE) {
                int value = u16(data, at + 8, little);
                return value >= 1 && value <= 8 ? value : 0;
            }
        }
        return 0;
    }

    private static int u16(byte[] b, int at, boolean little) {
        int lo = b[little ? at : at + 1] & 0xFF;
        int hi = b[little ? at + 1 : at] & 0xFF;
        return hi << 8 | lo;
    }

    private static long u32(byte[] b, int at, boolean little) {
        long first = u16(b, little ? at + 2 : at, little);
        long second = u16(b, little ? at : at + 2, little);
        return first << 16 | second;
    }

    /** Whether turning upright swaps width and height (orientations 5 to 8 turn by 90°). */
    static boolean swapsSides(int orientation) {
        return orientation >= 5 && orientation <= 8;
    }

    /** {@code image} (TYPE_INT_RGB) turned upright according to {@code orientation}. */
    static BufferedImage upright(BufferedImage image, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        boolean swap = swapsSides(orientation);
        int outW = swap ? h : w;
        int outH = swap ? w : h;
        int[] src = image.getRGB(0, 0, w, h, null, 0, w);
        int[] dst = new int[src.length];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }           // mirrored
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }   // rotated 180°
                    case 4 -> { sx = x; sy = h - 1 - y; }           // mirrored vertically
                    case 5 -> { sx = y; sy = x; }                   // transposed
                    case 6 -> { sx = y; sy = h - 1 - x; }           // needs 90° clockwise
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }   // transversed
                    default -> { sx = w - 1 - y; sy = x; }          // 8: needs 90° counter-clockwise
                }
                dst[y * outW + x] = src[sy * w + sx];
            }
        }
        BufferedImage out = new BufferedImage(outW, outH, BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, outW, outH, dst, 0, outW);
        return out;
    }
}
