package dev.zoetrope.serve;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A server in its own JVM, for the tests that kill one without warning: {@code ServerProcessMain DATA STEP_MILLIS
 * [READ_TIMEOUT_SECONDS [STORE ROLE RESULTS LEASE_SECONDS]]} serves the test-pattern generator on a free loopback
 * port and prints {@code PORT n} once it listens. The read timeout is one value per JVM, so a test of a short one runs
 * here too; the store arguments make it one instance of several sharing a PostgreSQL store.
 */
public final class ServerProcessMain {
    private ServerProcessMain() {}

    public static void main(String[] args) throws InterruptedException {
        ServeOptions options = ServeOptions.defaults(Path.of(args[0])).withPort(0);
        if (args.length > 2) options = options.withReadTimeout(Duration.ofSeconds(Long.parseLong(args[2])));
        if (args.length > 3)
            options = options.withStore(args[3], ServeOptions.Role.parse(args[4]), Path.of(args[5]),
                    Duration.ofMillis(Math.round(Double.parseDouble(args[6]) * 1000)));
        ZoetropeServer server = ZoetropeServer.start(options, new TestPatternGenerator(Long.parseLong(args[1])));
        System.out.println("PORT " + server.uri().getPort());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
