package dev.zoetrope.cli;

import dev.zoetrope.models.pipeline.Offload;
import picocli.CommandLine.Option;

/** {@code --offload}, for the commands that generate: which weights stay on the device (see {@code zoetrope plan}). */
final class OffloadOption {
    @Option(names = "--offload", paramLabel = "none|model|sequential", description = "For devices smaller than the model: "
            + "none (the DiT and VAE stay on the device), model (one model on the device at a time), sequential (also the DiT's "
            + "blocks one at a time, from host memory). zoetrope plan shows what each needs (default: ${DEFAULT-VALUE}).")
    String offload = "none";

    Offload parsed() {
        return Offload.parse(offload);
    }
}
