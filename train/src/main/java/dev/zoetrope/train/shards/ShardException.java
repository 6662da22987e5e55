package dev.zoetrope.train.shards;

import java.nio.file.Path;

/** A shard directory or file is missing, malformed, or inconsistent; the message names the file. */
public class ShardException extends RuntimeException {
    public ShardException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public ShardException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
