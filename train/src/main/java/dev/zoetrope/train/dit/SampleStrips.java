package dev.zoetrope.train.dit;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.models.pipeline.DitVelocity;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.LatentDecoder;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.PromptEncoder;
import dev.zoetrope.models.pipeline.T5PromptEncoder;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.VelocityModel;
import dev.zoetrope.models.pipeline.VaeDecoder;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.FrameImages;

/**
 * Sample strips during DiT training: a few fixed prompts generated with the run's current (EMA) weights and the
 * trained VAE, written as {@code samples/step-000500.png}, one row per prompt (a label band, then the frames
 * side by side). Held-out combinations are labelled in orange.
 *
 * <p>It runs the generator's own pipeline ({@link TextToVideo}: same schedule, guidance and latent scaling as
 * {@code zoetrope generate}) over temporary modules that borrow the weights, on their device (the trained VAE is loaded
 * beside them), in its own native scope with
 * gradients off. Its noise comes from its own seeded generator, so the training's random stream is untouched.
 * A failing strip is reported and training goes on.
 */
public final class SampleStrips implements TextToVideoTask.Sampler {
    /** Euler steps per strip: enough to see what the model draws, few enough to stay a small share of training. */
    public static final int STEPS = 20;
    static final int LABEL_HEIGHT = 14;
    /** The pipeline's output name; the {@link Collector} keeps frames in memory and never writes it. */
    private static final Path IN_MEMORY = Path.of("sample.mp4");
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    private static final Color LABEL = new Color(225, 225, 225), HELD_OUT = new Color(255, 160, 0), BAND = new Color(24, 24, 24);

    /**
     * What to generate: clip geometry and the sampler settings.
     *
     * @param guidance APG scale
     * @param shift    schedule shift (the training's)
     */
    public record Settings(int width, int height, int frames, int fps, int steps, double guidance, long seed, double shift) {
        public Settings {
            if (width < 1 || height < 1 || frames < 1 || fps < 1)
                throw new IllegalArgumentException("sample clip must have positive size, frames and fps: " + width + "x" + height
                        + ", " + frames + " frames at " + fps + " fps");
            if (steps < 1) throw new IllegalArgumentException("sample steps must be ≥ 1, got " + steps);
            if (ModelFamily.LINUM.frames(seconds(frames, fps), fps) != frames)
                throw new IllegalArgumentException(frames + " frames at " + fps + " fps is not a clip the generator makes (fps·s + 1 frames)");
        }

        double seconds() {
            return seconds(frames, fps);
        }

        private static double seconds(int frames, int fps) {
            return (frames - 1) / (double) fps;
        }
    }

    /**
     * The rest of a strip's pipeline around the run's DiT weights: its text encoder, which may be built from the run's
     * weights too, and its VAE, on the weights' device.
     */
    private interface Surroundings {
        Supplier<PromptEncoder> text(Map<String, Tensor> weights);

        LatentDecoder vae(Device device);

        /** The DiT over the run's weights: by default its {@code dit.*} weights, borrowed. */
        default VelocityModel dit(DitConfig config, Map<String, Tensor> weights) {
            return new DitVelocity(DiffusionTransformer.fromParams(config, borrowed(weights, "dit."), Attention.Options.defaults()));
        }
    }

    private final ModelFamily family;
    private final DitConfig dit;
    private final Surroundings around;
    private final Settings settings;
    private final List<String> prompts;

    /**
     * @param text   the text encoder's config (vocabulary sized to {@code tokenizer})
     * @param vaeDir the trained VAE (its export directory)
     */
    public SampleStrips(DitConfig dit, T5Config text, Tokenizer tokenizer, Path vaeDir, Settings settings, List<String> prompts) {
        this(ModelFamily.LINUM, dit, new Surroundings() {
            @Override
            public Supplier<PromptEncoder> text(Map<String, Tensor> weights) {
                return () -> new T5PromptEncoder(tokenizer, T5Encoder.fromParams(text, borrowed(weights, "text.")), false);
            }

            @Override
            public LatentDecoder vae(Device device) {
                return VaeDecoder.load(vaeDir, device);
            }
        }, settings, prompts);
        if (!Files.isDirectory(vaeDir)) throw new InvalidRequestException("sample strips need the trained VAE, but " + vaeDir + " does not exist");
    }

    private SampleStrips(ModelFamily family, DitConfig dit, Surroundings around, Settings settings, List<String> prompts) {
        if (prompts.isEmpty()) throw new InvalidRequestException("sample strips need at least one prompt");
        this.family = family;
        this.dit = dit;
        this.around = around;
        this.settings = settings;
        this.prompts = List.copyOf(prompts);
    }

    /**
     * Strips of a DiT trained inside another model (a distilled student): the run's {@code dit.*} weights with that
     * model's text encoder and VAE, as {@code model} loads them.
     */
    public static SampleStrips around(TextToVideo.Parts model, DitConfig dit, Settings settings, List<String> prompts) {
        return adapting(model, dit, weights -> new DitVelocity(DiffusionTransformer.fromParams(dit, borrowed(weights, "dit."),
                Attention.Options.defaults())), settings, prompts);
    }

    /**
     * Strips of a model whose DiT the run adapts without changing it (LoRA): {@code dit} makes that model's DiT with the
     * run's weights applied; the text encoder and VAE are the model's, as {@code model} loads them.
     */
    public static SampleStrips adapting(TextToVideo.Parts model, DitConfig config, Function<Map<String, Tensor>, VelocityModel> dit,
                                        Settings settings, List<String> prompts) {
        return new SampleStrips(model.family(), config, new Surroundings() {
            @Override
            public Supplier<PromptEncoder> text(Map<String, Tensor> weights) {
                return model.text();
            }

            @Override
            public LatentDecoder vae(Device device) {
                return model.vae().get();
            }

            @Override
            public VelocityModel dit(DitConfig c, Map<String, Tensor> weights) {
                return dit.apply(weights);
            }
        }, settings, prompts);
    }

    /**
     * Four canonical captions of the synthetic world: two seen combinations and two held out, on both
     * backgrounds.
     */
    public static List<String> canonicalPrompts() {
        return List.of(
                SynthSpec.canonicalCaption(new SynthSpec.Combination(0, 0, 0), 0),  // red circle left, black
                SynthSpec.canonicalCaption(new SynthSpec.Combination(4, 1, 2), 1),  // blue square up, gray
                SynthSpec.canonicalCaption(new SynthSpec.Combination(4, 2, 3), 0),  // blue triangle down, black: held out
                SynthSpec.canonicalCaption(new SynthSpec.Combination(6, 2, 0), 1)); // white triangle left, gray: held out
    }

    public static Path stripFile(Path dir, int step) {
        return dir.resolve(String.format(Locale.ROOT, "step-%06d.png", step));
    }

    @Override
    public List<Path> sample(int step, Map<String, Tensor> weights, LatentScale latentScale, Path dir) {
        Path file = stripFile(dir, step);
        try {
            write(file, generate(weights, latentScale));
            return List.of(file);
        } catch (IOException | RuntimeException e) {
            System.err.printf(Locale.ROOT, "%nsample strip for step %d failed (training goes on): %s%n", step, e.getMessage());
            return List.of();
        }
    }

    /**
     * Each prompt's frames, generated with {@code weights} ({@code dit.*}, and {@code text.*} when the text encoder is the
     * run's), which stay untouched.
     */
    public List<List<Frame>> generate(Map<String, Tensor> weights, LatentScale latentScale) {
        List<List<Frame>> clips = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard();
             TextToVideo pipeline = new TextToVideo(parts(weights, latentScale), new TextToVideo.Options(true, true, null, Double.NaN),
                     (out, w, h, fps) -> new Collector(w, h, fps, clips))) {
            for (String prompt : prompts)
                pipeline.generate(new GenerationRequest(prompt, null, null, settings.seconds(), settings.seed(), settings.guidance(),
                        settings.steps()), IN_MEMORY, GenerationListener.NONE);
        }
        return clips;
    }

    /** The pipeline's parts over borrowed weights: each module gets detached views, so closing it frees only the views. */
    private TextToVideo.Parts parts(Map<String, Tensor> weights, LatentScale latentScale) {
        ModelCapabilities base = family.capabilities(family.resolutions().keySet().iterator().next());
        String resolution = settings.height() + "p";
        ModelCapabilities caps = new ModelCapabilities(family.displayName() + " (training samples)",
                Map.of(resolution, new int[]{settings.width(), settings.height()}), resolution, settings.seconds(), settings.seconds(),
                settings.seconds(), settings.fps(), base.minSteps(), base.maxSteps(), settings.steps(), settings.guidance(),
                base.defaultNegativePrompt(), settings.seed(), dit.textLen());
        return new TextToVideo.Parts(family, caps, settings.shift(),
                around.text(weights),
                () -> around.dit(dit, weights),
                () -> around.vae(weights.values().iterator().next().device()),   // beside the weights
                latentScale);
    }

    private static Params borrowed(Map<String, Tensor> weights, String prefix) {
        Params p = Params.empty();
        weights.forEach((k, t) -> {
            if (k.startsWith(prefix)) p.put(k.substring(prefix.length()), t.detach());
        });
        return p;
    }

    /** One row per clip: the prompt on a dark band above the frames side by side. */
    static BufferedImage render(List<String> prompts, List<List<Frame>> clips) {
        if (clips.size() != prompts.size())
            throw new IllegalArgumentException(prompts.size() + " prompts but " + clips.size() + " clips");
        List<BufferedImage> rows = clips.stream().map(c -> FrameImages.strip(c, c.size())).toList();
        int width = rows.stream().mapToInt(BufferedImage::getWidth).max().orElseThrow();
        int rowHeight = LABEL_HEIGHT + rows.stream().mapToInt(BufferedImage::getHeight).max().orElseThrow();
        BufferedImage sheet = new BufferedImage(width, rows.size() * rowHeight, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(FONT);
        for (int i = 0; i < rows.size(); i++) {
            int y = i * rowHeight;
            boolean heldOut = SynthSpec.parse(prompts.get(i)).map(p -> p.combination().heldOut()).orElse(false);
            g.setColor(BAND);
            g.fillRect(0, y, width, LABEL_HEIGHT);
            g.setColor(heldOut ? HELD_OUT : LABEL);
            g.drawString((heldOut ? "held-out: " : "") + prompts.get(i), 3, y + LABEL_HEIGHT - 3);
            g.drawImage(rows.get(i), 0, y + LABEL_HEIGHT, null);
        }
        g.dispose();
        return sheet;
    }

    private void write(Path file, List<List<Frame>> clips) throws IOException {
        BufferedImage sheet = render(prompts, clips);
        Files.createDirectories(file.getParent());
        FrameImages.writeImage(file, sheet);
    }

    /** Keeps a generated clip's frames in memory instead of writing an mp4. */
    private static final class Collector implements ClipWriter {
        private final int width, height, fps;
        private final List<List<Frame>> clips;
        private final List<Frame> frames = new ArrayList<>();

        Collector(int width, int height, int fps, List<List<Frame>> clips) {
            this.width = width;
            this.height = height;
            this.fps = fps;
            this.clips = clips;
        }

        @Override
        public void frame(byte[] rgb) {
            frames.add(new Frame(width, height, rgb, frames.size(), frames.size() / (double) fps));
        }

        @Override
        public void finish() {
            clips.add(List.copyOf(frames));
        }

        @Override
        public void abort() {
            frames.clear();
        }
    }
}
