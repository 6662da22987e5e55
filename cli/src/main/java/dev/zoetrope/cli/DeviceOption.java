package dev.zoetrope.cli;

import dev.zoetrope.core.engine.ComputeDevice;
import picocli.CommandLine.Option;

/** {@code --device}, for every command that runs a model; commands resolve it before any model loads. */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "auto|cpu|cuda|cuda:N", description = "Where models run: auto (a CUDA "
            + "device when libtorch sees one, else the CPU), cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    /** The choice as given; a bad spelling fails here, before libtorch loads. */
    ComputeDevice parsed() {
        return ComputeDevice.parse(device);
    }

    /** The concrete device on this machine (loads libtorch to count its CUDA devices). */
    ComputeDevice resolve() {
        return parsed().resolve();
    }
}
