package dev.zoetrope.cli;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.models.dit.Lora;
import picocli.CommandLine.Option;

/** {@code --lora} and {@code --lora-lenient}, for the commands that open a DiT to generate with. */
final class LoraOptions {
    @Option(names = "--lora", paramLabel = "FILE[:STRENGTH]", description = "A LoRA adapter merged into the DiT as it "
            + "loads, at STRENGTH (default 1); repeat to stack. kohya/musubi and PEFT/Diffusers files (docs/models.md).")
    List<String> loras = new ArrayList<>();

    @Option(names = "--lora-lenient", description = "Skip adapter keys and modules that match nothing instead of refusing them.")
    boolean lenient;

    /** The adapters, each file checked to exist. */
    List<Lora> parsed() {
        return loras.stream().map(Lora::parse).toList();
    }
}
