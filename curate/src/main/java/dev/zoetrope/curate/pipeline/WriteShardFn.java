package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.shards.ShardWriter;

/**
 * Writes one training shard from the accepted clips the shard key gave it, as a shard set of its own in
 * {@code work/run/shards/shard-KKKKKK/} (frames, cached latents, the text-side extras), clips in id order. A retried
 * step writes the same shard again over the same directory; the driver merges the shard sets into {@code shards/}.
 */
final class WriteShardFn extends DoFn<KV<Integer, Iterable<Verdict>>, Void> {
    private final CurateOptions options;
    private final ShardExtras extrasSpec;
    private final String vaeKey;
    private final String dir;

    private transient ShardExtras extras;

    WriteShardFn(CurateOptions options, ShardExtras extras, String vaeKey, String dir) {
        this.options = options;
        this.extrasSpec = extras;
        this.vaeKey = vaeKey;
        this.dir = dir;
    }

    @Setup
    public void setup() {
        extras = extrasSpec.open();
    }

    @Teardown
    public void teardown() {
        if (extras != null) extras.close();
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<Verdict>> shard) {
        List<Decision> clips = new ArrayList<>();
        for (Verdict v : shard.getValue()) clips.add(v.decision());
        clips.sort(Comparator.comparing(d -> d.clip().clipId()));
        Path target = Path.of(dir).resolve(String.format(Locale.ROOT, "shard-%06d", shard.getKey()));
        try {
            if (Files.exists(target)) Finalizer.deleteTree(target); // an earlier attempt of this step
            try (ShardWriter w = ShardWriter.open(target, Integer.MAX_VALUE, Long.MAX_VALUE)) {
                for (Decision d : clips) {
                    ClipResult c = d.clip();
                    byte[] frames = JudgeFn.framesBytes(Path.of(options.out()).resolve("clips").resolve(c.clipId() + ".mp4"), c);
                    int n = frames.length / (c.width() * c.height() * 3);
                    List<ShardTensor> tensors = new ArrayList<>();
                    tensors.add(ShardTensor.frames(n, c.height(), c.width(), frames));
                    if (vaeKey != null) {
                        Path f = JudgeFn.latentFile(options, vaeKey, c.clipId());
                        if (!Files.isRegularFile(f)) throw new IllegalStateException(f + ": the latents of " + c.clipId() + " are gone");
                        tensors.add(JudgeFn.readLatent(f).tensor());
                    }
                    tensors.addAll(extras.tensors(c, d.caption(), frames));
                    Map<String, Double> signals = new LinkedHashMap<>(c.signals().named());
                    if (d.aesthetic() != null) signals.put("aesthetic", d.aesthetic());
                    w.add(ClipRecord.of(c.clipId(), d.caption(), c.source(), c.startS(), c.endS(), c.fps(), c.width(), c.height(), n,
                            signals), tensors);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write shard " + target + ": " + e.getMessage(), e);
        }
    }
}
