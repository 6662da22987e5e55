package dev.zoetrope.serve;

import java.nio.file.Path;

/**
 * A server in its own JVM, for the restart test to kill without warning: {@code ServerProcessMain DATA STEP_MILLIS}
 * serves the test-pattern generator on a free loopback port and prints {@code PORT n} once it listens.
 */
public final class ServerProcessMain {
    private ServerProcessMain() {}

    public static void main(String[] args) throws InterruptedException {
        ZoetropeServer server = ZoetropeServer.start(ServeOptions.defaults(Path.of(args[0])).withPort(0),
                new TestPatternGenerator(Long.parseLong(args[1])));
        System.out.println("PORT " + server.uri().getPort());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
