package dev.zoetrope.train.loop;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import javax.imageio.ImageIO;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The TensorBoard event files, read back by a reader written from the format's description (TFRecord framing, the
 * Event and Summary messages), independent of the writer's code.
 */
class TensorBoardLogTest {
    /** What one Event holds: the fields this project writes. */
    record Event(double wallTime, long step, String fileVersion, Integer sessionStatus, List<Value> values) {}

    record Value(String tag, Float simple, Image image) {}

    record Image(int height, int width, int colorspace, byte[] png) {}

    /** Every record of an event file; any length or data CRC that does not match fails. */
    static List<Event> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            long length = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(masked(len), b.getInt(), "length CRC of record " + events.size());
            byte[] data = new byte[Math.toIntExact(length)];
            b.get(data);
            assertEquals(masked(data), b.getInt(), "data CRC of record " + events.size());
            events.add(event(data));
        }
        return events;
    }

    static int masked(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        long crc = c.getValue();
        long rotated = ((crc >> 15) | (crc << 17)) & 0xffffffffL;
        return (int) ((rotated + 0xa282ead8L) & 0xffffffffL);
    }

    /** Protocol-buffer fields of a message by number: Long for varints and fixed64, Integer for fixed32, byte[] for bytes. */
    static Map<Integer, List<Object>> fields(byte[] msg) {
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        int[] pos = {0};
        while (pos[0] < msg.length) {
            long key = varint(msg, pos);
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            Object v = switch (wire) {
                case 0 -> varint(msg, pos);
                case 1 -> {
                    long x = ByteBuffer.wrap(msg, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                    pos[0] += 8;
                    yield x;
                }
                case 2 -> {
                    int n = (int) varint(msg, pos);
                    byte[] x = java.util.Arrays.copyOfRange(msg, pos[0], pos[0] + n);
                    pos[0] += n;
                    yield x;
                }
                case 5 -> {
                    int x = ByteBuffer.wrap(msg, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                    pos[0] += 4;
                    yield x;
                }
                default -> throw new AssertionError("unexpected wire type " + wire);
            };
            out.computeIfAbsent(field, k -> new ArrayList<>()).add(v);
        }
        return out;
    }

    static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if (x < 0x80) return v;
        }
    }

    static Object one(Map<Integer, List<Object>> f, int field) {
        List<Object> l = f.get(field);
        if (l == null) return null;
        assertEquals(1, l.size(), "field " + field + " appears once");
        return l.getFirst();
    }

    static Event event(byte[] data) {
        var f = fields(data);
        double wall = Double.longBitsToDouble((Long) one(f, 1));
        long step = one(f, 2) == null ? 0 : (Long) one(f, 2);
        String version = one(f, 3) == null ? null : new String((byte[]) one(f, 3), StandardCharsets.UTF_8);
        Integer session = one(f, 6) == null ? null : ((Long) one(fields((byte[]) one(f, 6)), 1)).intValue();
        List<Value> values = new ArrayList<>();
        if (one(f, 5) != null) {
            for (Object v : fields((byte[]) one(f, 5)).getOrDefault(1, List.of())) {
                var vf = fields((byte[]) v);
                String tag = new String((byte[]) one(vf, 1), StandardCharsets.UTF_8);
                Float simple = one(vf, 2) == null ? null : Float.intBitsToFloat((Integer) one(vf, 2));
                Image image = null;
                if (one(vf, 4) != null) {
                    var imf = fields((byte[]) one(vf, 4));
                    image = new Image(((Long) one(imf, 1)).intValue(), ((Long) one(imf, 2)).intValue(), ((Long) one(imf, 3)).intValue(),
                            (byte[]) one(imf, 4));
                }
                values.add(new Value(tag, simple, image));
            }
        }
        return new Event(wall, step, version, session, values);
    }

    static Path eventFile(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().startsWith(TensorBoardLog.PREFIX)).sorted().toList();
            assertEquals(1, files.size(), "one event file in " + dir + ": " + files);
            return files.getFirst();
        }
    }

    static byte[] png(int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 40) << 16 | (y * 60) << 8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void scalarsAndImagesReadBackWithTheirStepsTagsAndValues(@TempDir Path dir) throws IOException {
        byte[] picture = png(6, 4);
        long before = System.currentTimeMillis() / 1000;
        try (TensorBoardLog log = new TensorBoardLog(dir, 0)) {
            log.scalar(1, "loss", 0.75);
            log.scalar(300, "lr", 1e-4);
            log.scalar(1L << 40, "loss", -2.5);
            log.image(300, "samples", picture, 6, 4);
        }
        List<Event> events = read(eventFile(dir));
        assertEquals(5, events.size());
        assertEquals("brain.Event:2", events.getFirst().fileVersion(), "the first record names the format");
        assertTrue(events.getFirst().wallTime() >= before && events.getFirst().wallTime() < before + 60);
        assertEquals(new Value("loss", 0.75f, null), events.get(1).values().getFirst());
        assertEquals(1, events.get(1).step());
        assertEquals(300, events.get(2).step());
        assertEquals(1e-4f, events.get(2).values().getFirst().simple());
        assertEquals(1L << 40, events.get(3).step(), "steps are 64-bit varints");
        assertEquals(-2.5f, events.get(3).values().getFirst().simple());
        Value image = events.get(4).values().getFirst();
        assertEquals("samples", image.tag());
        assertEquals(300, events.get(4).step());
        assertEquals(4, image.image().height());
        assertEquals(6, image.image().width());
        assertEquals(3, image.image().colorspace());
        assertArrayEquals(picture, image.image().png());
        assertNull(events.get(1).sessionStatus());
    }

    @Test
    void aDamagedRecordFailsItsCrc(@TempDir Path dir) throws IOException {
        Path file;
        try (TensorBoardLog log = new TensorBoardLog(dir, 0)) {
            log.scalar(5, "loss", 1.0);
            file = log.file();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 6] ^= 1; // inside the last record's data (the float)
        Files.write(file, bytes);
        AssertionError e = assertThrows(AssertionError.class, () -> read(file));
        assertTrue(e.getMessage().contains("data CRC of record 1"), e.getMessage());
    }

    /** A toy regression that also draws a "sample strip" whenever asked. */
    record Sampling(ToyRegression toy, int width) implements TrainingTask {
        @Override
        public Map<String, Tensor> parameters() {
            return toy.parameters();
        }

        @Override
        public Tensor loss(int step, int micro, Share share, Generator rng) {
            return toy.loss(step, micro, share, rng);
        }

        @Override
        public List<Path> sample(int step, Map<String, Tensor> weights, Path dir) {
            try {
                Files.createDirectories(dir);
                Path p = dir.resolve("step-" + step + ".png");
                Files.write(p, png(width, 3));
                return List.of(p);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void theTrainerLogsEveryMetricAndSampleStripBesideMetricsJsonl(@TempDir Path dir) throws Exception {
        TrainConfig c = TrainerTest.config(20);
        TrainConfig cfg = new TrainConfig(c.steps(), c.batchSize(), c.gradAccumulation(), c.lr(), c.warmupSteps(), c.minLrRatio(),
                c.weightDecay(), c.beta1(), c.beta2(), c.eps(), c.clipNorm(), c.emaDecay(), c.seed(), c.checkpointEvery(), 1, 10,
                c.keepCheckpoints());
        Sampling first = new Sampling(new ToyRegression(7), 5);
        new Trainer(first, cfg, dir, "toy").run(false, 12);
        first.toy().close();
        // a second sitting, as another process would: a new event file that starts with a session start at the resumed step
        Sampling again = new Sampling(new ToyRegression(7), 5);
        new Trainer(again, cfg, dir, "toy").run(true);
        again.toy().close();

        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith(TensorBoardLog.PREFIX)).sorted().toList();
        }
        assertEquals(2, files.size(), files.toString());
        List<Event> start = read(files.get(0)), second = read(files.get(1));
        // the files' names sort by time only to the second; the resumed one is the one with the session start
        if (start.get(1).sessionStatus() != null) {
            List<Event> t = start;
            start = second;
            second = t;
        }
        assertEquals(1, second.get(1).sessionStatus(), "START");
        assertEquals(12, second.get(1).step());

        Map<Long, Float> loss = new LinkedHashMap<>();
        List<Long> sampleSteps = new ArrayList<>();
        for (List<Event> file : List.of(start, second)) {
            for (Event e : file) {
                for (Value v : e.values()) {
                    if (v.tag().equals("loss")) loss.put(e.step(), v.simple());
                    if (v.tag().equals("samples")) {
                        sampleSteps.add(e.step());
                        assertEquals(5, v.image().width());
                        assertEquals(3, v.image().height());
                    }
                }
            }
        }
        List<JsonNode> rows = MetricsLog.read(dir.resolve("metrics.jsonl"));
        assertEquals(20, rows.size());
        assertEquals(20, loss.size(), "a loss for every logged step: " + loss.keySet());
        for (JsonNode row : rows)
            assertEquals((float) row.get("loss").asDouble(), loss.get(row.get("step").asLong()), "loss at step " + row.get("step"));
        assertEquals(List.of(10L, 20L), sampleSteps);
        assertEquals(List.of("loss", "lr", "grad_norm", "samples_per_s", "elapsed_s"), tagsAt(start, 3), "every number of the row, by name");
    }

    private static List<String> tagsAt(List<Event> events, long step) {
        return events.stream().filter(e -> e.step() == step && e.fileVersion() == null && e.sessionStatus() == null)
                .flatMap(e -> e.values().stream()).map(Value::tag).toList();
    }
}
