package dev.zoetrope.train.loop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.SECONDS.HOST}) in the run directory: scalars and PNG images by
 * step, so {@code tensorboard --logdir runs/} shows a run's curves and sample strips.
 *
 * <p>The file is a sequence of TFRecords (length, masked CRC-32C of the length, the bytes, their masked CRC-32C), each an
 * {@code Event} protocol buffer encoded here by hand: the first carries the file version, the others a wall time, a step
 * and a {@code Summary} of tagged values. A resumed run starts a new file with a session-start event at its step, which
 * tells TensorBoard to drop what the earlier files logged after that step (as {@link MetricsLog} drops those lines).
 */
public final class TensorBoardLog implements AutoCloseable {
    /** The prefix TensorBoard looks for in a log directory. */
    public static final String PREFIX = "events.out.tfevents.";
    static final String FILE_VERSION = "brain.Event:2";
    private static final int RGB = 3;

    private final Path file;
    private OutputStream out;

    /**
     * A new event file in {@code dir}; with {@code resumeStep} above 0 it starts with a session start at that step.
     */
    public TensorBoardLog(Path dir, int resumeStep) throws IOException {
        Files.createDirectories(dir);
        long now = System.currentTimeMillis();
        Path f = dir.resolve(PREFIX + now / 1000 + "." + host());
        // two runs started within a second in one directory (a test, a quick resume) each get their own file
        for (int n = 1; Files.exists(f); n++) f = dir.resolve(PREFIX + now / 1000 + "." + host() + "." + n);
        file = f;
        out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        write(event(now / 1000.0, 0, 3, bytes(FILE_VERSION)));
        if (resumeStep > 0) {
            Proto sessionLog = new Proto().varint(1, 1); // status START
            write(event(System.currentTimeMillis() / 1000.0, resumeStep, 6, sessionLog.bytes()));
        }
        out.flush();
    }

    public Path file() {
        return file;
    }

    /** One scalar, e.g. the loss at {@code step}. */
    public void scalar(long step, String tag, double value) throws IOException {
        Proto v = new Proto().string(1, tag).float32(2, (float) value);
        summary(step, v);
    }

    /** One PNG picture of {@code width × height} RGB pixels, e.g. a sample strip. */
    public void image(long step, String tag, byte[] png, int width, int height) throws IOException {
        Proto image = new Proto().varint(1, height).varint(2, width).varint(3, RGB).bytes(4, png);
        summary(step, new Proto().string(1, tag).message(4, image));
    }

    private void summary(long step, Proto value) throws IOException {
        Proto summary = new Proto().message(1, value);
        write(event(System.currentTimeMillis() / 1000.0, step, 5, summary.bytes()));
        out.flush();
    }

    /** An Event: wall_time (1), step (2), and one field of its {@code what}. */
    private static byte[] event(double wallTime, long step, int what, byte[] payload) {
        return new Proto().float64(1, wallTime).varint(2, step).bytes(what, payload).bytes();
    }

    /** One TFRecord: length, its masked CRC, the data, its masked CRC; all little-endian. */
    private void write(byte[] data) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(data.length);
        head.putInt(maskedCrc(head.array(), 0, 8));
        out.write(head.array());
        out.write(data);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(data, 0, data.length)).array());
    }

    /** CRC-32C rotated right by 15 bits plus a constant, as TFRecord stores it. */
    static int maskedCrc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String host() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            return h.replaceAll("[^A-Za-z0-9.-]", "_").toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() throws IOException {
        if (out != null) out.close();
        out = null;
    }

    /** The protocol-buffer wire format, for the few field kinds an event needs. */
    private static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            key(field, 0);
            raw(value);
            return this;
        }

        Proto float64(int field, double value) {
            key(field, 1);
            buf.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value).array());
            return this;
        }

        Proto float32(int field, float value) {
            key(field, 5);
            buf.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
            return this;
        }

        Proto bytes(int field, byte[] value) {
            key(field, 2);
            raw(value.length);
            buf.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, TensorBoardLog.bytes(value));
        }

        Proto message(int field, Proto value) {
            return bytes(field, value.bytes());
        }

        byte[] bytes() {
            return buf.toByteArray();
        }

        private void key(int field, int wireType) {
            raw((long) field << 3 | wireType);
        }

        /** Base-128, low groups first, the high bit saying more follow. */
        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                buf.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf.write((int) v);
        }
    }
}
