package dev.mnv2.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes JPEG, PNG, BMP and GIF files (whatever javax.imageio reads) into 8-bit RGB images.
 *
 * <p>A file is untrusted input: the size its header claims is checked before anything is decoded
 * ({@link #MAX_PIXELS}, {@link #MAX_SIDE}); {@link #read(Path, int, int)} decodes a large image subsampled, so
 * memory follows the size asked for rather than the size the file claims; image data that ends early is an
 * error rather than a grey-filled picture; and every failure, a decoder's {@link Error} included, is one
 * {@link ImageReadException} naming the file and the problem.
 */
public final class Images {
    /**
     * Images with more pixels are refused before decoding: 100 megapixels, the largest camera sensors'
     * size. Decoding touches every pixel even when subsampled, and a progressive JPEG keeps all its DCT
     * coefficients (about 3 bytes a pixel) in native memory until its last scan, so this bounds the time
     * and the memory outside the Java heap that one file can cost.
     */
    public static final long MAX_PIXELS = 100_000_000;

    /**
     * Images with a longer side are refused before decoding: JPEG's own maximum. Decoders hold whole rows
     * at full width (a 100-megapixel PNG one pixel tall would need 800 MB for one row).
     */
    public static final int MAX_SIDE = 65_535;

    /** File header (14 bytes) and the info header up to its image data size field. */
    private static final int BMP_HEADER_BYTES = 38;

    private Images() {}

    /**
     * Reads {@code path} whole as an 8-bit {@link BufferedImage#TYPE_INT_RGB} image: grayscale is expanded,
     * alpha is composited over white, CMYK JPEGs are colour-converted by ImageIO's CMYK colour space, and
     * photos whose EXIF orientation says so are turned upright. A large image needs 4 bytes a pixel and more
     * while decoding; {@link #read(Path, int, int)} reads it at the size actually needed.
     */
    public static BufferedImage read(Path path) throws ImageReadException {
        return read(path, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * Reads {@code path} as {@link #read(Path)} does, keeping only every n-th pixel of an image at least
     * twice as large as {@code minWidth} × {@code minHeight}: n is chosen per axis as the largest whole
     * factor that still leaves at least that many pixels (the sizes are the upright image's, after EXIF
     * orientation), so the decoded image is less than twice the asked size on each side. An image no
     * larger than that is decoded whole.
     */
    public static BufferedImage read(Path path, int minWidth, int minHeight) throws ImageReadException {
        return decode(path, minWidth, minHeight, true);
    }

    /**
     * Reads a segmentation mask (or any image whose stored values matter more than their colours) whole and as
     * stored: a grayscale or palette image keeps its one band of values, with no colour conversion and no
     * EXIF turn. The same checks and one-line errors as {@link #read(Path)}.
     */
    public static BufferedImage readMask(Path path) throws ImageReadException {
        return decode(path, Integer.MAX_VALUE, Integer.MAX_VALUE, false);
    }

    private static BufferedImage decode(Path path, int minWidth, int minHeight, boolean photo)
            throws ImageReadException {
        if (minWidth < 1 || minHeight < 1) {
            throw new IllegalArgumentException("minimum size must be positive, got " + minWidth + "x" + minHeight);
        }
        if (!Files.exists(path)) {
            throw new ImageReadException(path + ": image file not found");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ImageReadException(path + ": not a readable file");
        }
        try {
            int orientation = ExifOrientation.of(path);
            // A file-backed stream: over a plain InputStream ImageIO copies the data into a temporary cache
            // file first, which made a 32x32 JPEG cost three times its decoding.
            try (ImageInputStream stream = new FileImageInputStream(path.toFile())) {
                Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
                if (!readers.hasNext()) {
                    throw new ImageReadException(path + ": not an image in a format this JVM decodes (JPEG, PNG, BMP, GIF)");
                }
                ImageReader reader = readers.next();
                try {
                    reader.setInput(stream, true, true);
                    int width = reader.getWidth(0);
                    int height = reader.getHeight(0);
                    if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE
                            || (long) width * height > MAX_PIXELS) {
                        throw new ImageReadException(path + ": " + width + "x" + height + " pixels is not an image "
                                + "size this reader decodes (at most " + MAX_PIXELS / 1_000_000 + " megapixels and "
                                + MAX_SIDE + " pixels a side)");
                    }
                    if (reader.getFormatName().equalsIgnoreCase("bmp")) {
                        checkEmbeddedBmpSize(path);
                    }
                    boolean sideways = ExifOrientation.swapsSides(orientation);
                    int xStep = Math.max(1, width / (sideways ? minHeight : minWidth));
                    int yStep = Math.max(1, height / (sideways ? minWidth : minHeight));
                    ImageReadParam param = reader.getDefaultReadParam();
                    // Offsets of half a step: each kept pixel stands in the middle of the ones it replaces.
                    param.setSourceSubsampling(xStep, yStep, xStep / 2, yStep / 2);
                    DataLossWatch dataLoss = new DataLossWatch();
                    reader.addIIOReadWarningListener(dataLoss);
                    BufferedImage image = reader.read(0, param);
                    if (dataLoss.warning != null) {
                        throw new ImageReadException(path + ": incomplete image data (" + dataLoss.warning + ")");
                    }
                    return photo ? ExifOrientation.upright(toRgb(image), orientation) : image;
                } finally {
                    reader.dispose();
                }
            }
        } catch (ImageReadException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new ImageReadException(path + ": image file not found");
        } catch (IOException | RuntimeException | Error e) {
            // Errors too: a decoder's OutOfMemoryError or StackOverflowError is about this file, and the
            // caller (classifying a folder, say) goes on with the next one.
            throw failure(path, e);
        }
    }

    /**
     * A BMP may wrap a JPEG or PNG (compression 4 or 5) and states its length, and the JDK's reader allocates
     * that many bytes before reading them: a 63-byte file claiming 160 MB (found by fuzzing) cost 160 MB, one
     * claiming 2 GB the whole heap. No file holds more data than its own size.
     */
    private static void checkEmbeddedBmpSize(Path path) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(BMP_HEADER_BYTES);
        }
        ByteBuffer header = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        // Compression and data size are in the 40-byte info header and its successors, not the 12-byte OS/2 one.
        if (head.length < BMP_HEADER_BYTES || header.getInt(14) < 40) {
            return;
        }
        int compression = header.getInt(30);
        long claimed = Integer.toUnsignedLong(header.getInt(34));
        long fileSize = Files.size(path);
        if ((compression == 4 || compression == 5) && claimed > fileSize) {
            throw new ImageReadException(path + ": BMP header claims " + claimed + " bytes of embedded "
                    + (compression == 4 ? "JPEG" : "PNG") + " data in a file of " + fileSize + " bytes");
        }
    }

    private static ImageReadException failure(Path path, Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && chain.size() < 8; t = t.getCause()) {
            chain.add(t);
        }
        String problem = "cannot decode image";
        if (chain.stream().anyMatch(t -> t instanceof OutOfMemoryError)) {
            problem = "not enough memory to decode image";
        } else if (chain.stream().anyMatch(t -> t instanceof EOFException)) {
            problem = "incomplete image data";
        }
        // The distinct messages along the chain, e.g. "Error reading PNG image data: Unexpected end of ZLIB
        // input stream". An I/O exception's message is written for people; anything else (a decoder's
        // NegativeArraySizeException says only "-40") is named by its type too.
        Set<String> reasons = new LinkedHashSet<>();
        for (Throwable t : chain) {
            String message = t.getMessage() == null ? "" : t.getMessage().replace('\n', ' ').strip();
            if (message.endsWith(":")) {
                message = message.substring(0, message.length() - 1);
            }
            if (!(t instanceof IOException)) {
                reasons.add(t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message));
            } else if (!message.isEmpty()) {
                reasons.add(message);
            } else if (t instanceof EOFException) {
                reasons.add("the file ends early");
            } else if (t == e) {
                reasons.add(t.getClass().getSimpleName());
            }
        }
        return new ImageReadException(path + ": " + problem + " (" + String.join(": ", reasons) + ")", e);
    }

    /**
     * Catches the decoder warnings that mean image data was lost and stops decoding there. libjpeg does not
     * fail on a truncated file: it warns ("Premature end of JPEG file", "Corrupt JPEG data: premature end
     * of data segment") and fills the rest of the picture with grey. A JPEG that lacks only its end marker
     * has all its pixels and is read.
     */
    private static final class DataLossWatch implements IIOReadWarningListener {
        String warning;

        @Override
        public void warningOccurred(ImageReader source, String message) {
            if (warning == null && message != null && message.toLowerCase(Locale.ROOT).contains("premature end")) {
                warning = message;
                source.abort();
            }
        }
    }

    /** {@code image} as TYPE_INT_RGB, alpha composited over white. */
    public static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[w];
        boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        for (int y = 0; y < h; y++) {
            if (gray) {
                grayRow(image.getRaster(), y, row);
            } else {
                image.getRGB(0, y, w, 1, row, 0, w);
            }
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int a = argb >>> 24;
                if (a != 255) {
                    int r = blendOverWhite((argb >> 16) & 0xFF, a);
                    int g = blendOverWhite((argb >> 8) & 0xFF, a);
                    int b = blendOverWhite(argb & 0xFF, a);
                    argb = (r << 16) | (g << 8) | b;
                }
                row[x] = argb & 0xFFFFFF;
            }
            rgb.setRGB(0, y, w, 1, row, 0, w);
        }
        return rgb;
    }

    /**
     * Java treats gray images as linear light and brightens them in getRGB (gray 200 becomes 229), but
     * grayscale JPEG and PNG files hold gamma-encoded values like any RGB photo: copy the samples instead.
     */
    private static void grayRow(Raster raster, int y, int[] argb) {
        int bands = raster.getNumBands();
        int shift = Math.max(0, raster.getSampleModel().getSampleSize(0) - 8);
        for (int x = 0; x < argb.length; x++) {
            int v = raster.getSample(x, y, 0) >> shift;
            int a = bands > 1 ? raster.getSample(x, y, 1) >> shift : 255;
            argb[x] = (a << 24) | (v << 16) | (v << 8) | v;
        }
    }

    private static int blendOverWhite(int c, int alpha) {
        return (c * alpha + 255 * (255 - alpha) + 127) / 255;
    }
}
