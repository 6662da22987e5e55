package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.pipeline.GenerationPlan;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.RandomCheckpoints;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;
import picocli.CommandLine;

/** generate's --dtype, and command lines pasted in the spelling of Linum's and Wan's own scripts. */
class GenerateFlagsTest {
    static final String PROMPT = "a red circle moving left on a black background";

    @TempDir
    Path tmp;

    static Path tiny() {
        return Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny");
    }

    /** What the CLI would run for {@code args}, without loading anything. */
    static GenerateCommand.Invocation parse(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        return command.invocation();
    }

    static String refusal(String... args) {
        return assertThrows(InvalidRequestException.class, () -> parse(args)).getMessage();
    }

    /**
     * A tiny Wan 2.1 original layout whose DiT file is a stand-in for the released 1.3B: its patch embedding is 1536
     * wide, which is all --task looks at. Only parsed, never run.
     */
    Path wan13bStandIn() throws IOException {
        Engine.init();
        Path dir = tmp.resolve("Wan2.1-T2V-1.3B");
        var o = dev.zoetrope.core.config.Json.PLAIN.createObjectNode();
        o.put("dim", 64).put("ffn_dim", 96).put("num_heads", 2).put("num_layers", 1).put("text_dim", 32).put("text_len", 16);
        Path tok = Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny/spiece.model");
        DitConfig dit = ModelFamily.WAN.dit().withOverrides(o);
        RandomCheckpoints.wanOriginal(dir, new RandomCheckpoints.Spec(dit, WanVaeConfig.wan21().withBaseDim(8), 1, 4, 48, tok,
                Tokenizers.load(tok).vocabSize(), DType.F32, 3));
        try (PointerScope scope = new PointerScope()) {
            Map<String, Tensor> t = new TreeMap<>();
            t.put("patch_embedding.weight", torch.zeros(1536, 16, 1, 2, 2));
            t.put("head.head.weight", torch.zeros(64, 1536));
            SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), t);
        }
        return dir;
    }

    @Test
    void dtypeCastsOnLoad() throws IOException {
        Path auto = tmp.resolve("auto.mp4"), f32 = tmp.resolve("f32.mp4"), bf16 = tmp.resolve("bf16.mp4");
        for (Path out : new Path[]{auto, f32, bf16}) {
            String dtype = out.getFileName().toString().replace(".mp4", "");
            CliRun r = CliRun.of("generate", PROMPT, "--num-steps", "4", "--dtype", dtype, "-o", out.toString());
            assertEquals(0, r.exit(), r.toString());
            VideoInfo info = VideoProbe.probe(out);
            assertEquals(17, info.frameCount(), dtype);
            assertEquals(64, info.width(), dtype);
            if (!dtype.equals("auto")) assertTrue(r.err().contains("cast to " + dtype), r.err());
        }
        assertArrayEquals(Files.readAllBytes(auto), Files.readAllBytes(f32), "the shipped model is stored in f32: f32 is auto");

        CliRun bad = CliRun.of("generate", PROMPT, "--dtype", "f16", "-o", tmp.resolve("x.mp4").toString());
        assertEquals(2, bad.exit(), bad.toString());
        assertEquals("error: --dtype must be auto, bf16 or f32, not 'f16'", bad.err().strip());

        CliRun info = CliRun.of("info", tiny().toString(), "--dtype", "bf16");
        assertEquals(0, info.exit(), info.toString());
        long dit = parameters(info.out(), "[dit]"), vae = parameters(info.out(), "[vae]");
        assertTrue(info.out().contains("loaded at bf16: " + mib(2 * dit) + " (stored: F32, " + mib(4 * dit) + ")"), "the DiT: " + info.out());
        assertTrue(info.out().contains("loaded at bf16: " + mib(2 * vae) + " (stored: F32, " + mib(4 * vae) + ")"),
                "the VAE decodes in bf16 too: " + info.out());
        CliRun full = CliRun.of("info", tiny().toString(), "--dtype", "f32");
        assertTrue(full.out().contains("loaded at f32: " + mib(4 * vae) + " (stored: F32, " + mib(4 * vae) + ")"), full.out());
    }

    /** The exact parameter count {@code info} prints for a part, e.g. {@code (1,252,576)} after {@code [dit]}. */
    private static long parameters(String info, String part) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(part) + "[^\\n]*\\n\\s+\\d+ tensors, [^(]*\\(([0-9,]+)\\)")
                .matcher(info);
        assertTrue(m.find(), part + " in " + info);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    /** --seed -1 draws a seed and prints it, so the clip can be made again; other negative seeds are refused. */
    @Test
    void seedMinusOneIsRandomAndPrinted() throws IOException {
        Path first = tmp.resolve("random.mp4"), again = tmp.resolve("again.mp4");
        CliRun r = CliRun.of("generate", PROMPT, "--num-steps", "2", "--seed", "-1", "-o", first.toString());
        assertEquals(0, r.exit(), r.toString());
        var printed = java.util.regex.Pattern.compile("seed (\\d+), 2 steps").matcher(r.out());
        assertTrue(printed.find(), r.out());
        CliRun rerun = CliRun.of("generate", PROMPT, "--num-steps", "2", "--seed", printed.group(1), "-o", again.toString());
        assertEquals(0, rerun.exit(), rerun.toString());
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(again), "the printed seed makes the same clip");

        assertEquals("--seed must be 0 or more, or -1 for a random seed; got -2", refusal("x", "--seed", "-2"));
        assertNull(parse("x").request().seed(), "no --seed: the model's default, as before");
        Path dir = Files.createDirectories(tmp.resolve("clip.mp4"));
        assertTrue(refusal("x", "-o", dir.toString()).contains("is a directory"), "refused before anything is generated");
    }

    /** A command line as Linum's README writes it, paths to each part included, run on the shipped model. */
    @Test
    void linumsGenerateVideoFlags() throws IOException {
        Path out = tmp.resolve("linum.mp4");
        String[] line = {"--prompt", PROMPT, "--output", out.toString(), "--resolution", "64p", "--duration", "2",
                "--seed", "5", "--cfg", "4", "--num_steps", "3", "--negative_prompt", "blurry", "--apg_rescale", "15",
                "--model-path", tiny().resolve("dit/64p.safetensors").toString(),
                "--vae-path", tiny().resolve("vae/vae.safetensors").toString(),
                "--t5-encoder-path", tiny().resolve("t5/text_encoder").toString(),
                "--t5-tokenizer-path", tiny().resolve("t5/tokenizer").toString()};
        GenerateCommand.Invocation run = parse(line);
        assertEquals(new GenerationRequest(PROMPT, "blurry", "64p", 2.0, 5L, 4.0, 3), run.request());
        assertEquals(15.0, run.options().apgRescale());
        assertEquals(tiny().toAbsolutePath().normalize(), run.model().root(), "the model directory holding --model-path");
        assertEquals(tiny().resolve("vae/config.json"), run.model().vaeConfig());
        assertEquals(out, run.output());

        String[] args = new String[line.length + 1];
        args[0] = "generate";
        System.arraycopy(line, 0, args, 1, line.length);
        CliRun r = CliRun.of(args);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("17 frames at 8 fps") && r.out().contains("seed 5, 3 steps"), r.out());
        assertEquals(17, VideoProbe.probe(out).frameCount());
    }

    /** A command line as Wan's README writes it. */
    @Test
    void wansGenerateFlags() throws IOException {
        Path wan = wan13bStandIn();
        GenerateCommand.Invocation run = parse("--task", "t2v-1.3B", "--size", "832*480", "--ckpt_dir", wan.toString(),
                "--frame_num", "33", "--sample_steps", "4", "--sample_shift", "8", "--sample_guide_scale", "6",
                "--sample_solver", "unipc", "--base_seed", "7", "--prompt", "Two cats boxing on a stage", "--save_file", "cats.mp4");
        assertEquals(new GenerationRequest("Two cats boxing on a stage", null, "480p", 2.0, 7L, 6.0, 4), run.request());
        assertEquals(new TextToVideo.Options(true, false, FlowScheduler.Kind.UNIPC, 8.0), run.options());
        assertTrue(refusal("--ckpt_dir", wan.toString(), "x", "--lora", "nope.safetensors:0.5").contains("--lora nope.safetensors:0.5: no such file"));
        assertEquals(dev.zoetrope.models.pipeline.Offload.SEQUENTIAL,
                parse("--ckpt_dir", wan.toString(), "x", "--offload", "Sequential").options().offload());
        assertEquals(WeightDtype.AUTO, run.dtype());
        assertEquals(Path.of("cats.mp4"), run.output());
        GenerationPlan plan = GenerationPlan.resolve(run.request(), run.model().capabilities(), run.model().family());
        assertEquals(33, plan.frames());
        assertEquals(832, plan.width());
        assertEquals(480, plan.height());
        GenerateCommand.Invocation drawn = parse("--ckpt_dir", wan.toString(), "x", "--base_seed", "-3");
        assertEquals(GenerationRequest.RANDOM_SEED, drawn.request().seed(), "a negative --base_seed asks for a random seed, as Wan does");
        long seed = GenerationPlan.resolve(drawn.request(), drawn.model().capabilities(), drawn.model().family()).seed();
        assertTrue(seed >= 0, "the plan draws the seed it records: " + seed);

        String dir = wan.toString();
        assertEquals("sampler 'dpm++' (Wan's DPM-Solver++) is not implemented here; use unipc (Wan's default) or euler",
                refusal("--ckpt_dir", dir, "x", "--sample_solver", "dpm++"));
        assertEquals("480p-portrait", parse("--ckpt_dir", dir, "x", "--size", "480*832").request().resolution(),
                "Wan's portrait size is one of its SUPPORTED_SIZES");
        String notOffered = refusal("--ckpt_dir", dir, "x", "--size", "640*360");
        assertTrue(notOffered.startsWith("size 640*360 is not offered; Wan 2.1 makes 832*480 (480p)")
                && notOffered.contains("480*832 (480p-portrait)"), notOffered);
        assertEquals("--size must be WIDTH*HEIGHT, e.g. 832*480, not 'big'", refusal("--ckpt_dir", dir, "x", "--size", "big"));
        assertEquals("80 frames: Wan 2.1 makes 4n+1 frames (e.g. 81)", refusal("--ckpt_dir", dir, "x", "--frame_num", "80"));
        assertTrue(refusal("--ckpt_dir", dir, "x", "--task", "t2v-14B").endsWith("names the 5120-wide Wan 2.1 DiT, but the DiT of "
                + dir + " is 1536 wide"));
        assertTrue(refusal("--ckpt_dir", dir, "x", "--task", "i2v-14B").contains("only Wan 2.1's text-to-video tasks"));
        assertTrue(refusal("x", "--task", "t2v-1.3B").contains("names a Wan 2.1 model, but"), "the shipped model is Linum's");
        assertEquals("--num-steps and --num_steps set the same thing; give one of them",
                refusal("--ckpt_dir", dir, "x", "--num-steps", "3", "--sample_steps", "4"));
        assertEquals("--model-dir and --ckpt_dir set the same thing; give one of them",
                refusal("--model-dir", tiny().toString(), "--ckpt_dir", dir, "x"));

        CliRun apg = CliRun.of("generate", "--ckpt_dir", dir, "x", "--apg_rescale", "5");
        assertEquals(2, apg.exit(), apg.toString());
        assertTrue(apg.err().contains("the APG rescale applies to models guided by APG"), apg.err());
    }

    @Test
    void theHelpNamesTheUpstreamSpellingsOnce() {
        CliRun help = CliRun.of("generate", "--help");
        assertEquals(0, help.exit(), help.toString());
        assertTrue(help.out().contains("Linum generate_video.py: --num_steps") && help.out().contains("--sample_guide_scale"), help.out());
        assertFalse(help.out().contains("--sample_steps=<"), "aliases are not listed as options: " + help.out());
        assertTrue(help.out().lines().allMatch(l -> l.length() <= 80), help.out());
    }
}
