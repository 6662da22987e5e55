package dev.zoetrope.core.engine;

import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Run in a child JVM by {@link FirstStartTest}: starts the engine (on whatever native cache the JVM was
 * given), multiplies two small known matrices and prints the facts the test checks.
 */
public final class EngineProbe {
    private EngineProbe() {}

    public static void main(String[] args) {
        Engine.EngineInfo info = Engine.init();
        try (PointerScope scope = new PointerScope()) {
            Tensor a = Tensors.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor b = Tensors.fromFloats(new float[]{7, 8, 9, 10, 11, 12}, 3, 2);
            float[] c = Tensors.toFloats(torch.matmul(a, b));
            StringBuilder out = new StringBuilder("matmul");
            for (float v : c) out.append(' ').append(String.format(Locale.ROOT, "%.1f", v));
            System.out.println(out);
        }
        System.out.println("threads " + info.threads());
        System.out.println("blas threads " + info.blasThreads());
        System.out.println("cache " + info.nativeCache());
        System.out.println("omp wait " + Engine.ompWaitPolicy());
    }
}
