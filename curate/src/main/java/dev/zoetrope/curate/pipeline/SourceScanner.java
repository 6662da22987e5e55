package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Expands the inputs into video files: directories are walked, {@code .txt}/{@code .lst} files list one path a line. */
public final class SourceScanner {
    public static final Set<String> EXTENSIONS = Set.of("mp4", "mov", "mkv", "webm");

    private SourceScanner() {}

    public static List<String> scan(List<String> inputs) throws IOException {
        TreeSet<String> out = new TreeSet<>();
        for (String in : inputs) {
            Path p = Path.of(in);
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile).filter(SourceScanner::isVideo).forEach(f -> out.add(f.toAbsolutePath().normalize().toString()));
                }
            } else if (isList(p)) {
                if (!Files.isRegularFile(p)) throw new IOException(p + ": no such file list");
                Path base = p.toAbsolutePath().getParent();
                for (String line : Files.readAllLines(p)) {
                    String t = line.strip();
                    if (t.isEmpty() || t.startsWith("#")) continue;
                    out.add(base.resolve(t).normalize().toString());
                }
            } else {
                // A named file is taken even if missing or broken: the run reports it instead of losing it silently.
                out.add(p.toAbsolutePath().normalize().toString());
            }
        }
        return new ArrayList<>(out);
    }

    static boolean isVideo(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1)) && !n.startsWith(".");
    }

    private static boolean isList(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".txt") || n.endsWith(".lst");
    }
}
