package dev.zoetrope.core.engine;

import java.util.Locale;

import dev.zoetrope.core.InvalidRequestException;

/**
 * Where a model runs: the {@code --device} choice, parsed once ({@link #parse}) and resolved once ({@link #resolve})
 * against what libtorch sees, before any model loads, so a device this build or machine cannot offer fails with one
 * line instead of after minutes of loading.
 *
 * <p>Spellings: {@code auto} (the first CUDA device when libtorch sees one, else the CPU), {@code cpu},
 * {@code cuda} (the first CUDA device) and {@code cuda:N}. A resolved device is {@link Cpu} or {@link Cuda} with an
 * index; that is what the places models are opened, trained and measured receive.
 */
public sealed interface ComputeDevice {
    ComputeDevice AUTO = new Auto();
    ComputeDevice CPU = new Cpu();

    /** How to get the CUDA flavour, for the messages that need it. */
    String HOW_TO_BUILD_CUDA = "build the CUDA flavour with ./mvnw -Dtorch.platform=linux-x86_64-gpu -DskipTests package, "
            + "see the README's Engine settings";

    /** Let libtorch decide: CUDA when it sees a device, else the CPU. */
    record Auto() implements ComputeDevice {
        @Override
        public String id() {
            return "auto";
        }
    }

    record Cpu() implements ComputeDevice {
        @Override
        public String id() {
            return "cpu";
        }
    }

    /** @param index the device's ordinal, or {@link #FIRST} for plain {@code cuda} (resolved to 0) */
    record Cuda(int index) implements ComputeDevice {
        public static final int FIRST = -1;

        public Cuda {
            if (index < FIRST) throw new IllegalArgumentException("CUDA device index " + index);
        }

        @Override
        public String id() {
            return index == FIRST ? "cuda" : "cuda:" + index;
        }
    }

    /** The spelling {@link #parse} reads back. */
    String id();

    /** libtorch's device for a resolved choice (plain {@code cuda} is device 0). */
    default org.bytedeco.pytorch.Device torchDevice() {
        return switch (this) {
            case Cpu c -> new org.bytedeco.pytorch.Device("cpu");
            case Cuda c -> new org.bytedeco.pytorch.Device("cuda:" + Math.max(0, c.index()));
            case Auto a -> throw new IllegalStateException("--device auto has no libtorch device until it is resolved");
        };
    }

    /** {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}, any case, surrounding blanks ignored. */
    static ComputeDevice parse(String spelling) {
        String s = spelling == null ? "" : spelling.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "auto" -> AUTO;
            case "cpu" -> CPU;
            case "cuda" -> new Cuda(Cuda.FIRST);
            default -> {
                // libtorch numbers devices with a signed byte, so 0..127 are the ordinals it can name
                if (s.matches("cuda:[0-9]{1,3}") && Integer.parseInt(s.substring(5)) <= Byte.MAX_VALUE)
                    yield new Cuda(Integer.parseInt(s.substring(5)));
                throw new InvalidRequestException("--device must be auto, cpu, cuda or cuda:N (N = 0, 1, ...), not '" + spelling + "'");
            }
        };
    }

    /** This choice as a concrete device on this process's libtorch (which {@link Engine#init} loads if needed). */
    default ComputeDevice resolve() {
        return resolve(Engine.init().cuda());
    }

    /**
     * This choice as a concrete device given what libtorch sees: {@link Cpu}, or {@link Cuda} with an index that
     * exists. A CUDA device that is not there is refused with the reason, in one line.
     */
    default ComputeDevice resolve(CudaStatus seen) {
        return switch (this) {
            case Cpu c -> c;
            case Auto a -> seen.devices() > 0 ? new Cuda(0) : CPU;
            case Cuda c -> {
                if (!seen.cudaFlavour())
                    throw new InvalidRequestException("--device " + id() + ": this build is the CPU flavour of libtorch, which "
                            + "has no CUDA; " + HOW_TO_BUILD_CUDA);
                if (seen.devices() == 0)
                    throw new InvalidRequestException("--device " + id() + ": no CUDA device (this build is the CUDA flavour, but "
                            + "libtorch sees 0 devices: " + (seen.problem() != null
                                ? "its CUDA backend did not load, " + seen.problem() + "; " + CudaStatus.BACKEND_HINT
                                : "is the NVIDIA driver installed?") + ")");
                int index = c.index() == Cuda.FIRST ? 0 : c.index();
                if (index >= seen.devices())
                    throw new InvalidRequestException("--device " + id() + ": no such CUDA device (libtorch sees " + seen.devices()
                            + ": " + (seen.devices() == 1 ? "cuda:0" : "cuda:0 to cuda:" + (seen.devices() - 1)) + ")");
                yield new Cuda(index);
            }
        };
    }

    default boolean isCpu() {
        return this instanceof Cpu;
    }

    /**
     * Where tensors are moved to run on this resolved device ({@code Ops.toDevice}): null on the CPU, where tensors are
     * made and stay, else {@link #torchDevice}.
     */
    default org.bytedeco.pytorch.Device target() {
        return this instanceof Cpu ? null : torchDevice();
    }
}
