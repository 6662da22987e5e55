package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.models.nn.Ops;

/**
 * The VAE stage of curation: each clip's frames, trimmed to the 1+4k frames the causal VAE takes, encoded to the
 * posterior mean as the {@code latents} the DiT trainer reads, (C, F', H', W') float32: small clips in one pass, larger
 * ones chunked (frame 0, then 4 at a time), so memory stays bounded by a few frames' activations. Pooled per-channel statistics of the latent are the learned filter's visual features.
 *
 * @param key            identifies the VAE's weights, so cached latents of one VAE are never taken for another's
 * @param wholePassBytes largest first-level activation (bytes) encoded in one pass; larger clips are encoded chunked
 */
public record ClipLatents(WanVae vae, String key, long wholePassBytes) implements AutoCloseable {
    /** Bounds a whole pass to a first-level activation of 64 MB (a few such tensors are alive at once). */
    public static final long WHOLE_PASS_BYTES = 64L << 20;

    public ClipLatents {
        if (key == null || !key.matches("[A-Za-z0-9_.-]+"))
            throw new IllegalArgumentException("VAE key '" + key + "' must be letters, digits, '_', '.' or '-' (it names a directory)");
    }

    public ClipLatents(WanVae vae, String key) {
        this(vae, key, WHOLE_PASS_BYTES);
    }

    /**
     * What to load a VAE stage from. It travels to the workers, which load the VAE once each ({@link #open}); its key
     * (a hash of the VAE's files, taken once by the driver) names the latent cache.
     */
    public record Spec(String path, String key, long wholePassBytes) implements java.io.Serializable {
        /**
         * The VAE at {@code path} as {@link WanVae#load} reads it (a safetensors file, a VAE directory, or a model
         * directory with a {@code vae/} folder), keyed by a hash of its files.
         */
        public static Spec of(Path path) {
            return new Spec(path.toString(), fingerprint(path), WHOLE_PASS_BYTES);
        }

        public ClipLatents open() {
            dev.zoetrope.core.engine.Engine.init();
            return new ClipLatents(WanVae.load(Path.of(path)), key, wholePassBytes);
        }
    }

    /** Frames a clip of {@code frames} frames is trimmed to: the largest 1+4k not above it. */
    public int usableFrames(int frames) {
        int t = vae.config().temporalFactor();
        return frames < 1 ? 0 : frames - (frames - 1) % t;
    }

    /** Refuses an output size the VAE cannot encode, before any clip is cut. */
    public void checkSize(int width, int height) {
        int s = vae.config().spatialFactor();
        if (width % s != 0 || height % s != 0)
            throw new InvalidRequestException("the VAE downsamples by " + s + ", so clip width and height must be multiples of " + s
                    + "; " + width + "x" + height + " is not (try --resolution " + Math.max(s, width / s * s) + "x" + Math.max(s, height / s * s) + ")");
    }

    /** A clip's latent: its shape (C, F', H', W') and float32 values in that order. */
    public record Latent(long[] shape, float[] values) {
        public ShardTensor tensor() {
            return ShardTensor.f32(ShardTensor.LATENTS, shape, values);
        }

        /** Read back from the little-endian float32 bytes of a stored {@code latents} tensor. */
        public static Latent of(long[] shape, byte[] bytes) {
            float[] v = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            if (shape.length != 4 || Tensors.numel(shape) != v.length)
                throw new IllegalArgumentException("a latents tensor must be (C, F, H, W) with matching data; got shape "
                        + java.util.Arrays.toString(shape) + " and " + v.length + " values");
            return new Latent(shape.clone(), v);
        }

        /**
         * The learned filter's visual features: the mean of each latent channel over frames and positions, then each
         * channel's standard deviation (2C values). The means say what is in the picture (colours, layout); the spreads,
         * how much varies in space and time.
         */
        public float[] pooled() {
            int c = (int) shape[0];
            int per = values.length / c;
            float[] out = new float[2 * c];
            for (int ch = 0; ch < c; ch++) {
                double sum = 0, sq = 0;
                for (int i = ch * per; i < (ch + 1) * per; i++) sum += values[i];
                double mean = sum / per;
                for (int i = ch * per; i < (ch + 1) * per; i++) sq += (values[i] - mean) * (values[i] - mean);
                out[ch] = (float) mean;
                out[c + ch] = (float) Math.sqrt(sq / per);
            }
            return out;
        }
    }

    /**
     * Encodes RGB frames ({@code frames}×{@code height}×{@code width}×3 bytes) to the posterior mean of their first
     * {@link #usableFrames} frames. Every native tensor is freed before returning.
     */
    public Latent encode(byte[] rgb, int frames, int height, int width) {
        return encode(List.of(rgb), frames, height, width).getFirst();
    }

    /**
     * Encodes clips of one size together: in one batched pass when they fit {@link #batchSize}, which is several times
     * faster than one by one for small clips; otherwise each clip chunked.
     */
    public List<Latent> encode(List<byte[]> clips, int frames, int height, int width) {
        checkSize(width, height);
        int use = usableFrames(frames);
        long clipBytes = (long) frames * height * width * 3, usedBytes = (long) use * height * width * 3;
        for (byte[] rgb : clips)
            if (use < 1 || rgb.length < clipBytes)
                throw new IllegalArgumentException("clip has " + rgb.length + " bytes, not " + frames + " frames of " + width + "x" + height + " RGB");
        if (clips.size() > 1 && wholePass((long) clips.size() * use, height, width)) {
            byte[] all = new byte[Math.toIntExact(clips.size() * usedBytes)];
            for (int i = 0; i < clips.size(); i++) System.arraycopy(clips.get(i), 0, all, Math.toIntExact(i * usedBytes), (int) usedBytes);
            return Scopes.value(() -> {
                try (NoGradGuard ng = new NoGradGuard()) {
                    Tensor mu = vae.encodeWhole(video(Tensors.fromBytes(all, DType.U8, clips.size(), use, height, width, 3)));
                    List<Latent> out = new java.util.ArrayList<>();
                    for (int i = 0; i < clips.size(); i++) out.add(latent(mu.select(0, i)));
                    return out;
                }
            });
        }
        List<Latent> out = new java.util.ArrayList<>();
        for (byte[] rgb : clips)
            out.add(Scopes.value(() -> {
                try (NoGradGuard ng = new NoGradGuard()) {
                    Tensor v = video(Tensors.fromBytes(rgb, DType.U8, frames, height, width, 3).narrow(0, 0, use).unsqueeze(0));
                    return latent((wholePass(use, height, width) ? vae.encodeWhole(v) : vae.encode(v)).select(0, 0));
                }
            }));
        return out;
    }

    /** How many clips of this size one batched pass takes: up to 8 while the pass stays small; 1 for clips encoded chunked. */
    public int batchSize(int frames, int height, int width) {
        int use = Math.max(1, usableFrames(frames)), b = 1;
        while (b < MAX_BATCH && wholePass((long) (b + 1) * use, height, width)) b++;
        return b;
    }

    private static final int MAX_BATCH = 8;

    /** (B, F, H, W, 3) bytes → (B, 3, F, H, W) in [−1, 1], as the VAE was trained. */
    private static Tensor video(Tensor pixels) {
        return pixels.permute(0, 4, 1, 2, 3).to(DType.F32.scalarType()).div(Ops.scalar(127.5)).sub(Ops.scalar(1.0)).contiguous();
    }

    private static Latent latent(Tensor mu) {
        Tensor c = mu.contiguous();
        return new Latent(Tensors.shape(c), Tensors.toFloats(c));
    }

    /**
     * Whether a clip is small enough to encode in one pass. Both passes give the same latent; the chunked one keeps
     * only 1–4 frames of activations alive, which long or large clips need, but costs many more (small) calls, which
     * makes it several times slower on small clips. The bound is on one full-resolution activation of the first level
     * ({@code frames} counts every clip of a batch).
     */
    boolean wholePass(long frames, int height, int width) {
        return frames * height * width * vae.config().baseDim() * Float.BYTES <= wholePassBytes;
    }

    /** SHA-256 over the VAE's files (names and bytes, in name order), shortened: the cache key of its latents. */
    static String fingerprint(Path path) {
        Path p = Files.isDirectory(path) && Files.isDirectory(path.resolve("vae")) ? path.resolve("vae") : path;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<Path> files;
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                }
            } else files = List.of(p);
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                sha.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), sha)) {
                    while (in.read(buf) >= 0) {
                        // the digest stream hashes what passes through
                    }
                }
            }
            return "vae-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the VAE at " + p + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        vae.close();
    }
}
