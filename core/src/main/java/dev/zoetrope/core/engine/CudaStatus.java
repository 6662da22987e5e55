package dev.zoetrope.core.engine;

import java.util.Locale;

/**
 * What libtorch offers for CUDA in this process, as {@link Engine#init()} found it: the facts a {@link ComputeDevice}
 * resolves against (and tests inject).
 *
 * @param cudaFlavour this build carries the CUDA flavour of libtorch ({@code -Dtorch.platform=linux-x86_64-gpu})
 * @param devices     the CUDA devices libtorch sees ({@code torch::cuda::device_count()}); 0 without a driver or GPU
 * @param problem     why libtorch's CUDA backend did not load (a missing CUDA library), or null when it loaded or
 *                    this is the CPU flavour
 */
public record CudaStatus(boolean cudaFlavour, int devices, String problem) {
    public static final CudaStatus CPU_FLAVOUR = new CudaStatus(false, 0, null);

    /** What a CUDA backend that did not load usually lacks: the libraries the Maven jars do not carry. */
    static final String BACKEND_HINT = "cuBLAS, cuSPARSE, cuSOLVER, cuDNN 9 and NCCL come from a CUDA 13.1 install on the "
            + "library path, see the README's Engine settings";

    public CudaStatus {
        if (devices < 0) throw new IllegalArgumentException("devices " + devices);
        if (!cudaFlavour && (devices > 0 || problem != null))
            throw new IllegalArgumentException("the CPU flavour sees no CUDA device");
    }

    /** For {@code doctor}: the flavour, the device count and, with none, the likely reason. */
    public String describe() {
        if (!cudaFlavour) return "none: this build is the CPU flavour of libtorch (" + ComputeDevice.HOW_TO_BUILD_CUDA + ")";
        String count = String.format(Locale.ROOT, "%d device%s", devices, devices == 1 ? "" : "s");
        if (problem != null)
            return count + ": the CUDA flavour, but libtorch's CUDA backend did not load (" + problem + "); " + BACKEND_HINT;
        if (devices == 0) return count + ": the CUDA flavour, but libtorch sees no device (is the NVIDIA driver installed?)";
        return count + " (CUDA flavour)";
    }
}
