package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** {@code zoetrope plan}: memory per stage, by offload mode, and what fits. */
class PlanCommandTest {
    /** The question: Linum 720p, 5 s, on 24 GB and 80 GB devices, with and without offload. */
    @Test
    void linum720pFiveSecondsOn24And80GbDevices() {
        CliRun r = CliRun.of("plan", "--config", "linum-720p", "--duration", "5");
        assertEquals(0, r.exit(), r.toString());
        for (String mode : new String[]{"none", "model", "sequential"}) assertTrue(r.out().contains("offload " + mode), r.out());
        assertTrue(r.out().contains("1280x720, 121 frames (31 latent frames, 111,600 DiT tokens)"), r.out());
        assertEquals(3, count(r.out(), "24.00 GB device: "), r.out());
        assertEquals(3, count(r.out(), "80.00 GB device: fits"), r.out());
        // streaming the blocks takes the DiT off the device and puts it on the host
        double[] denoiseDevice = column(r.out(), "denoise", 3), denoiseHost = column(r.out(), "denoise", 4);
        assertTrue(denoiseDevice[0] > denoiseDevice[1] && denoiseDevice[1] > denoiseDevice[2] + 3, r.out());
        assertEquals(0.0, denoiseHost[0]);
        assertTrue(denoiseHost[2] > 3.5, "the 40 blocks wait on the host: " + denoiseHost[2]);
    }

    @Test
    void aSmallDeviceNeedsOffloadForWan14B() {
        CliRun r = CliRun.of("plan", "--config", "wan-14b", "--device-memory", "24,40");
        assertEquals(0, r.exit(), r.toString());
        String[] modes = r.out().split("\n\n");
        assertTrue(modes[1].contains("offload none") && modes[1].contains("40.00 GB device: does not fit"), modes[1]);
        assertTrue(modes[3].contains("offload sequential") && modes[3].contains("40.00 GB device: fits"), modes[3]);
    }

    @Test
    void theShippedModelIsPlannedFromItsFiles() {
        CliRun r = CliRun.of("plan", "--offload", "model", "--dtype", "f32", "--attention", "chunked", "--tile", "0");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("64x64, 17 frames") && r.out().contains("offload model") && r.out().contains("F32 weights")
                && r.out().contains("VAE whole frames"), r.out());
    }

    @Test
    void badFlagsFailWithOneLine() {
        assertBad("--config must be", "plan", "--config", "sd-xl");
        assertBad("--duration 9.0 is outside", "plan", "--config", "linum-360p", "--duration", "9");
        assertBad("--offload must be none, model or sequential", "plan", "--config", "wan-1.3b", "--offload", "disk");
        assertBad("--device-memory takes sizes in GB above 0", "plan", "--config", "wan-1.3b", "--device-memory", "0");
        assertBad("--dtype must be bf16, f16 or f32", "plan", "--config", "wan-1.3b", "--dtype", "int4");
        assertBad("unknown resolution '1080p'", "plan", "--config", "wan-1.3b", "--resolution", "1080p");
        assertBad("not both", "plan", "--config", "wan-1.3b", "--model-dir", ".");
        assertBad("--offload must be none, model or sequential", "generate", "x", "--offload", "gpu");
        assertBad("--latent-frames must be positive", "bench", "memory", "--latent-frames", "0");
    }

    private static void assertBad(String message, String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains(message), r.toString());
    }

    private static int count(String s, String what) {
        return s.split(Pattern.quote(what), -1).length - 1;
    }

    /** The GB figures in column {@code col} (1 = weights) of each row named {@code stage}, in order. */
    private static double[] column(String out, String stage, int col) {
        Matcher m = Pattern.compile("(?m)^" + stage + "\\s+([0-9.]+) GB\\s+([0-9.]+) GB\\s+([0-9.]+) GB\\s+([0-9.]+) GB").matcher(out);
        return m.results().mapToDouble(x -> Double.parseDouble(x.group(col))).toArray();
    }
}
