package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.pipeline.ModelConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Rewrite a model directory, or one DiT checkpoint, in another layout, dtype or shard size, one tensor "
                + "at a time (checkpoints larger than memory convert).",
                "Linum v2 models go to the Linum/zoetrope layout (dit/, vae/, t5/, with JSON configs); Wan 2.1 models "
                        + "(original release or Diffusers) to the Diffusers layout (model_index.json, transformer/, vae/, "
                        + "text_encoder/, tokenizer/). A DiT file becomes one file when OUT ends in .safetensors, else a folder "
                        + "as the layout keeps a DiT in (dit/ or transformer/: weights + config.json).",
                "OUT must not exist (or be empty); it appears only when complete."})
final class ConvertCommand implements Callable<Integer> {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);

    @Parameters(paramLabel = "IN", description = "A model directory (Linum, zoetrope, Wan original or Diffusers) or one DiT "
            + "checkpoint (safetensors, a shard index, a ComfyUI single file).")
    Path in;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "The new directory (or .safetensors file for a DiT).")
    Path out;

    @Option(names = "--layout", paramLabel = "LAYOUT", description = "linum or diffusers (default: the model family's own).")
    String layout;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "keep, bf16 or f32: the dtype floating tensors are stored in "
            + "(default: ${DEFAULT-VALUE}).")
    String dtype = "keep";

    @Option(names = "--shard-size", paramLabel = "SIZE", description = "Split a part into files of at most this size, named as "
            + "Hugging Face names shards, with an index (e.g. 5GB, 500MB, 2GiB; 'none' for one file per part; default: ${DEFAULT-VALUE}).")
    String shardSize = "5GB";

    @Override
    public Integer call() throws IOException {
        ModelConverter.Options options = new ModelConverter.Options(layout == null ? null : ModelConverter.Target.parse(layout),
                parseDtype(dtype), parseSize(shardSize));
        long t0 = System.nanoTime();
        ModelConverter.Result r;
        try (BytesBar bar = new BytesBar()) {
            r = ModelConverter.convert(in, out, options, bar::update);
        }
        for (String note : r.notes()) System.out.println("note: " + note);
        System.out.printf(Locale.ROOT, "wrote %s: %s, %d tensors in %d file%s, %s, in %s%n", r.out(), r.description(), r.tensors(),
                r.files(), r.files() == 1 ? "" : "s", InfoCommand.bytes(r.bytes()), ProgressBar.clock((System.nanoTime() - t0) / 1e9));
        return 0;
    }

    static DType parseDtype(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "keep" -> null;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f32", "fp32", "float32" -> DType.F32;
            default -> throw new InvalidRequestException("unknown --dtype '" + s + "'; use keep, bf16 or f32");
        };
    }

    /** Decimal units as Hugging Face's max_shard_size ("5GB" = 5·10⁹ bytes), binary ones with "i" (GiB). */
    static long parseSize(String s) {
        String t = s.trim();
        if (t.equalsIgnoreCase("none")) return Long.MAX_VALUE;
        Matcher m = SIZE.matcher(t);
        if (!m.matches())
            throw new InvalidRequestException("--shard-size '" + s + "' is not a size; use e.g. 5GB, 500MB, 2GiB, 1000000 or none");
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        double base = unit.contains("i") ? 1024 : 1000;
        int power = switch (unit.charAt(0)) {
            case 'k' -> 1;
            case 'm' -> 2;
            case 'g' -> 3;
            case 't' -> 4;
            default -> 0;
        };
        double bytes = Double.parseDouble(m.group(1)) * Math.pow(base, power);
        if (bytes < 1) throw new InvalidRequestException("--shard-size must be at least 1 byte, not '" + s + "'");
        return bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) bytes;
    }

    /** A progress bar over bytes, in a unit that keeps its numbers readable; made once the total is known. */
    private static final class BytesBar implements AutoCloseable {
        private ProgressBar bar;
        private double unit;

        void update(long done, long total) {
            if (bar == null) {
                String name = total >= 100e6 ? "MB" : total >= 100e3 ? "kB" : "B";
                unit = name.equals("MB") ? 1e6 : name.equals("kB") ? 1e3 : 1;
                bar = new ProgressBar("convert", Math.round(total / unit), name);
            }
            long units = Math.round(done / unit);
            if (units != bar.done() || done == 0) bar.stepTo(units); // the bar prints every time it is at its end
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }
}
