package dev.zoetrope.core.engine;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * The tensor engine: libtorch through the JavaCPP presets.
 *
 * <p>{@link #init()} must run before any tensor is made. It extracts the whole native folder of the
 * pytorch jar before the first library load: loading {@code libtorch_cpu.so} while its neighbours
 * (such as {@code libgomp.so.1}) are still missing from an empty cache lets the dynamic linker pick
 * the system's copies, which crashed the JVM on first start.
 *
 * <p>Threads default to the number of cores; {@code ZOETROPE_THREADS} or {@code -Dzoetrope.threads}
 * override it. OpenMP's workers wait passively unless the environment says otherwise ({@link OpenMpWait}), and large
 * tensors sit on transparent huge pages ({@link HugePages}).
 */
public final class Engine {
    private static volatile EngineInfo info;
    private static volatile OpenMpWait.Decision ompWait;
    /** The folders libtorch's native libraries were loaded from. */
    private static volatile File[] nativeFolders = new File[0];

    private Engine() {}

    /** The OpenMP wait policy libtorch runs with and why ({@link OpenMpWait}); null before {@link #init()}. */
    public static OpenMpWait.Decision ompWaitPolicy() {
        return ompWait;
    }

    /** The folders libtorch's native libraries were loaded from (none before {@link #init()}). */
    static File[] nativeFolders() {
        return nativeFolders.clone();
    }

    /** Loads libtorch once; later calls return the same facts. Thread-safe. */
    public static EngineInfo init() {
        EngineInfo i = info;
        if (i != null) return i;
        synchronized (Engine.class) {
            if (info == null) info = load();
            return info;
        }
    }

    private static EngineInfo load() {
        long t0 = System.nanoTime();
        int threads = requestedThreads();
        OpenMpWait.Decision wait = OpenMpWait.apply();
        ompWait = wait;
        if (wait.warning() != null) System.getLogger(Engine.class.getName()).log(System.Logger.Level.WARNING, wait.warning());
        String hugePages = HugePages.apply();
        if (hugePages != null) System.getLogger(Engine.class.getName()).log(System.Logger.Level.WARNING, hugePages);
        boolean cudaFlavour = false;
        File[] natives = new File[0];
        try {
            String platform = Loader.getPlatform();
            String[] folders = {platform + "-gpu", platform};
            for (String folder : folders) {
                String resource = "/org/bytedeco/pytorch/" + folder + "/";
                if (torch.class.getResource(resource) != null) {
                    natives = Loader.cacheResources(torch.class, resource);
                    cudaFlavour = folder.endsWith("-gpu");
                    break;
                }
            }
            Loader.load(torch.class);
            nativeFolders = natives.clone();
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new EngineException("could not load libtorch natives (" + Loader.getPlatform() + "): " + e.getMessage()
                    + "; the JavaCPP cache is " + cacheDir(), e);
        }
        torch.set_num_threads(threads);
        // libtorch re-tries NNPACK on every eligible convolution and, on CPUs it does not support (AVX-512
        // EPYCs among them), logs a warning each time; oneDNN and the native kernels cover convolutions anyway.
        torch.globalContext().setUserEnabledNNPACK(false);
        CudaStatus cuda = cudaFlavour ? cudaStatus(natives) : CudaStatus.CPU_FLAVOUR;
        return new EngineInfo("2.10.0", cudaFlavour ? "cuda" : "cpu", cuda, torch.get_num_threads(), blasThreads(),
                (System.nanoTime() - t0) / 1_000_000, cacheDir());
    }

    /**
     * OpenBLAS's own worker count ({@code OPENBLAS_NUM_THREADS}, else the cores), 0 if it cannot be asked. libtorch's
     * CPU matmuls run on it beside the threads above, and it changes their summation order: a training gives the same
     * bytes again only with the same count.
     */
    private static int blasThreads() {
        try {
            return org.bytedeco.openblas.global.openblas_full.openblas_get_num_threads();
        } catch (RuntimeException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return 0;
        }
    }

    /**
     * The CUDA flavour's devices, and why its CUDA backend did not load if it did not. JavaCPP preloads the CUDA
     * libraries quietly and libtorch then counts 0 devices whether the backend is missing or the driver is, so the
     * backend is checked on its own: a user needs to know which of the two to fix.
     */
    private static CudaStatus cudaStatus(File[] natives) {
        if (Loader.getLoadedLibraries().containsKey("torch_cuda")) return new CudaStatus(true, torch.cuda_device_count(), null);
        String problem = "libtorch_cuda.so was not loaded";
        for (File folder : natives) {
            File lib = new File(folder, "libtorch_cuda.so");
            if (!lib.isFile()) continue;
            try {
                // the load JavaCPP tried, again, for the dynamic linker's reason (the first library it misses)
                System.load(lib.getAbsolutePath());
            } catch (UnsatisfiedLinkError e) {
                String m = String.valueOf(e.getMessage());
                int at = m.lastIndexOf(lib.getName() + ": ");
                problem = lib.getName() + ": " + (at >= 0 ? m.substring(at + lib.getName().length() + 2) : m);
            }
        }
        return new CudaStatus(true, 0, problem);
    }

    /** The thread count asked for by {@code -Dzoetrope.threads}, else {@code ZOETROPE_THREADS}, else the cores. */
    public static int requestedThreads() {
        String property = System.getProperty("zoetrope.threads");
        if (property != null) return parseThreads("-Dzoetrope.threads", property, cores());
        return parseThreads("ZOETROPE_THREADS", System.getenv("ZOETROPE_THREADS"), cores());
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** {@code value} unset or blank means one thread per core; otherwise it must be a whole number from 1 to 4096. */
    static int parseThreads(String source, String value, int cores) {
        if (value == null || value.isBlank()) return cores;
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 4096) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new EngineException(source + " must be a whole number of threads from 1 to 4096, not '" + value + "'");
    }

    private static Path cacheDir() {
        try {
            return Loader.getCacheDir().toPath();
        } catch (java.io.IOException | RuntimeException e) {
            return Path.of(System.getProperty("user.home"), ".javacpp", "cache");
        }
    }

    /** What the engine is, for {@code doctor} and logs. */
    public record EngineInfo(String libtorchVersion, String flavour, CudaStatus cuda, int threads, int blasThreads,
                             long loadMillis, Path nativeCache) {
        public String describe() {
            return String.format(Locale.ROOT, "libtorch %s (%s%s), %s, natives in %s", libtorchVersion, flavour,
                    cudaAvailable() ? ", " + cuda.devices() + " CUDA device" + (cuda.devices() == 1 ? "" : "s") : "",
                    describeThreads(), nativeCache);
        }

        /** The CPU threads, e.g. "1 thread, OpenBLAS 2": both decide a CPU run's speed and its exact numbers. */
        public String describeThreads() {
            return threads + (threads == 1 ? " thread" : " threads") + (blasThreads > 0 ? ", OpenBLAS " + blasThreads : "");
        }

        public boolean cudaAvailable() {
            return cuda.devices() > 0;
        }

        public boolean cacheExists() {
            return Files.isDirectory(nativeCache);
        }
    }
}
