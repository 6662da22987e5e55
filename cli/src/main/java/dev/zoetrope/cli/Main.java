package dev.zoetrope.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code zoetrope} command line. */
@Command(name = "zoetrope", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Text-to-video models on the JVM: curate data, train, generate, serve.",
        subcommands = {
                DoctorCommand.class,
                InfoCommand.class,
                ConvertCommand.class,
                BenchCommand.class,
                SynthCommand.class,
                CurateCommand.class,
                LabelCommand.class,
                TrainCommand.class,
                VerifyCommand.class,
                GenerateCommand.class,
                PlanCommand.class,
                RandomModelCommand.class,
                ServeCommand.class,
                EvalCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {
    private static final String LOG_FORMAT = "java.util.logging.SimpleFormatter.format";
    /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger BEAM_LOG = java.util.logging.Logger.getLogger("org.apache.beam");
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // Libraries log through java.util.logging (Beam by way of its SLF4J provider): one line a record, not JUL's two
        if (System.getProperty(LOG_FORMAT) == null) System.setProperty(LOG_FORMAT, "%4$s %3$s: %5$s%6$s%n");
        // Beam's INFO records narrate the runner's internals; the command prints its own progress
        BEAM_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        return cl.execute(args);
    }

    /** Known failures print one clear line and exit 2; anything else is a bug and keeps its stack trace. */
    static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (Errors.isUserError(e)) {
            err.println("error: " + Errors.message(e));
            if (System.getenv("ZOETROPE_DEBUG") != null) e.printStackTrace(err);
            err.flush();
            return 2;
        }
        err.println("internal error: " + e);
        e.printStackTrace(err);
        err.flush();
        return 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"zoetrope " + dev.zoetrope.core.BuildInfo.version()};
        }
    }
}
