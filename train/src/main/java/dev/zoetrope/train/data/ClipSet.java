package dev.zoetrope.train.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.train.synth.SynthSidecar;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.VideoReader;

/**
 * Captioned clips of one size decoded into memory as one uint8 tensor (N, 3, T, H, W): the working set of
 * the small-model trainers (a few thousand 64×64 clips is a few hundred MB). Pixels map to [−1, 1] per batch.
 */
public final class ClipSet implements AutoCloseable {
    private final Tensor pixels;
    private final List<String> ids;
    private final List<String> captions;

    private ClipSet(Tensor pixels, List<String> ids, List<String> captions) {
        this.pixels = pixels;
        this.ids = ids;
        this.captions = captions;
    }

    /** Reads the first {@code limit} clips of a synthetic-world directory ({@code clips.jsonl} and its mp4s). */
    public static ClipSet readSynth(Path dir, int limit) {
        Engine.init();
        if (!Files.isRegularFile(dir.resolve("clips.jsonl")))
            throw new InvalidRequestException(dir + " is not a synthetic-world directory (no clips.jsonl); make one with `zoetrope synth`");
        List<SynthSidecar> index = SynthWorld.readIndex(dir);
        int n = Math.min(limit, index.size());
        if (n == 0) throw new InvalidRequestException(dir + " holds no clips");
        SynthSidecar first = index.getFirst();
        int t = first.frames(), h = first.height(), w = first.width();
        Tensor all = Scopes.pin(torch.empty(new long[]{n, t, h, w, 3}, new TensorOptions(ScalarType.Byte), new MemoryFormatOptional()));
        List<String> ids = new ArrayList<>(n), captions = new ArrayList<>(n);
        try (ProgressBar bar = new ProgressBar("reading clips", n, "clip")) {
            BytePointer base = new BytePointer(all.data_ptr());
            long clipBytes = (long) t * h * w * 3;
            for (int i = 0; i < n; i++) {
                SynthSidecar s = index.get(i);
                if (s.frames() != t || s.width() != w || s.height() != h)
                    throw new InvalidRequestException(dir + ": clip " + s.id() + " is " + s.width() + "x" + s.height() + "x" + s.frames()
                            + ", the first is " + w + "x" + h + "x" + t + "; one set holds one size");
                List<Frame> frames = VideoReader.readAll(dir.resolve(s.video()));
                if (frames.size() < t) throw new InvalidRequestException(dir.resolve(s.video()) + " has " + frames.size() + " frames, expected " + t);
                for (int f = 0; f < t; f++) base.position(i * clipBytes + (long) f * h * w * 3).put(frames.get(f).rgb());
                ids.add(s.id());
                captions.add(s.caption());
                bar.step();
            }
            base.position(0);
        } catch (RuntimeException e) {
            Scopes.release(all);
            throw e;
        }
        return new ClipSet(all, List.copyOf(ids), List.copyOf(captions));
    }

    public int size() {
        return ids.size();
    }

    public List<String> ids() {
        return ids;
    }

    public List<String> captions() {
        return captions;
    }

    public int frames() {
        return (int) pixels.size(1);
    }

    public int height() {
        return (int) pixels.size(2);
    }

    public int width() {
        return (int) pixels.size(3);
    }

    /**
     * Clips {@code indices}, frames [start, start+count), as float32 (B, 3, count, H, W) in [−1, 1].
     */
    public Tensor batch(long[] indices, int start, int count) {
        Tensor idx = dev.zoetrope.core.engine.Tensors.fromLongs(indices, indices.length);
        return pixels.index_select(0, idx).narrow(1, start, count).permute(0, 4, 1, 2, 3).to(ScalarType.Float)
                .div(new org.bytedeco.pytorch.Scalar(127.5)).sub(new org.bytedeco.pytorch.Scalar(1.0)).contiguous();
    }

    @Override
    public void close() {
        Scopes.release(pixels);
    }
}
