package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Native memory is freed deterministically by scopes: thousands of training steps of a small MLP
 * (forward, backward, AdamW) leave the resident set where it was after warm-up.
 */
class NativeMemoryTest {
    static final int IN = 64, HIDDEN = 256, BATCH = 32;

    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** One step: predict x from itself through a ReLU bottleneck, mean squared error, AdamW. */
    static float step(AdamW opt, Tensor w1, Tensor b1, Tensor w2) {
        return Scopes.value(() -> {
            Tensor x = torch.randn(BATCH, IN);
            Tensor h = torch.relu(torch.matmul(x, w1).add(b1));
            Tensor loss = torch.mse_loss(torch.matmul(h, w2), x);
            opt.zero_grad();
            loss.backward();
            opt.step();
            return loss.item_float();
        });
    }

    @Test
    void rssStaysFlatOverThousandsOfTrainingSteps() throws IOException {
        int threads = Engine.init().threads();
        // This measures memory, not speed: on a busy machine, every tiny parallel region waits for a second
        // core (about 70 ms per backward pass); one thread keeps the run short.
        torch.set_num_threads(1);
        torch.manual_seed(0);
        try (PointerScope model = new PointerScope()) {
            Tensor w1 = torch.randn(IN, HIDDEN).mul(new org.bytedeco.pytorch.Scalar(0.1)).set_requires_grad(true);
            Tensor b1 = torch.zeros(HIDDEN).set_requires_grad(true);
            Tensor w2 = torch.randn(HIDDEN, IN).mul(new org.bytedeco.pytorch.Scalar(0.1)).set_requires_grad(true);
            AdamW opt = new AdamW(new TensorVector(w1, b1, w2), new AdamWOptions(1e-3));

            float firstLoss = 0;
            for (int i = 0; i < 300; i++) {
                float l = step(opt, w1, b1, w2);
                if (i == 0) firstLoss = l;
            }
            System.gc();
            long warm = rssKiB();
            float lastLoss = 0;
            int steps = 2500;
            for (int i = 0; i < steps; i++) lastLoss = step(opt, w1, b1, w2);
            System.gc();
            long end = rssKiB();
            long growthMiB = (end - warm) / 1024;
            System.out.printf("RSS after warm-up %d MiB, after %d more steps %d MiB (growth %d MiB); loss %.4f -> %.4f%n",
                    warm / 1024, steps, end / 1024, growthMiB, firstLoss, lastLoss);
            assertTrue(lastLoss < firstLoss * 0.5, "the model trains: loss " + firstLoss + " -> " + lastLoss);
            // Leaking one step's tensors (input, activations, gradients: over 200 KiB) would add some 500 MiB.
            assertTrue(growthMiB < 64, "RSS grew by " + growthMiB + " MiB over " + steps + " steps");
        } finally {
            torch.set_num_threads(threads);
        }
    }
}
