package dev.zoetrope.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.serve.ApiKeys;
import dev.zoetrope.models.pipeline.Offload;
import dev.zoetrope.serve.GeneratorFactory;
import dev.zoetrope.serve.LoraCatalog;
import dev.zoetrope.serve.JsonLogFormatter;
import dev.zoetrope.serve.ServeOptions;
import dev.zoetrope.serve.ServiceDatabase;
import dev.zoetrope.serve.ZoetropeServer;
import dev.zoetrope.video.ClipFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the generation service: REST API (/openapi.json), web page (/), persistent job queue.",
                "Make an API key first: zoetrope serve keys add --data DIR"},
        subcommands = {ServeCommand.Keys.class})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model-dir", paramLabel = "DIR|ORG/NAME", description = "Model to serve: a directory, or a Hugging "
            + "Face repo id in the local hub cache (default: the shipped tiny model, models/zoetrope-tiny).")
    String modelDir;
    @Option(names = "--revision", paramLabel = "REV", description = "With a repo id: the branch, tag or commit hash (default: main).")
    String revision;
    @Option(names = "--dtype", paramLabel = "auto|bf16|f32", description = "Cast the DiT and text encoder to this dtype "
            + "as they load (default: auto: as stored on the CPU, bf16 on a GPU); with bf16 the VAE decodes in bf16 too.")
    String dtype = "auto";
    @Mixin
    DeviceOption device = new DeviceOption();
    @Mixin
    OffloadOption offload = new OffloadOption();
    @Mixin
    LoraOptions lora = new LoraOptions();
    @Option(names = "--data", paramLabel = "DIR", description = "Directory for the job database, keys and videos (required); "
            + "with a shared --store, this process's own files (lock, work in progress).")
    Path data;
    @Option(names = "--store", paramLabel = "sqlite:PATH|postgresql://...", description = "The job store: jobs, keys and results "
            + "metadata. Default: the SQLite file DATA/zoetrope.db. postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE lets "
            + "several serve processes on several machines share one queue.")
    String store;
    @Option(names = "--role", paramLabel = "api|worker|both", description = "api: take requests and run no jobs; worker: run "
            + "jobs and answer only /healthz and /metrics; both (default). api and worker need a shared --store.")
    String role = "both";
    @Option(names = "--results", paramLabel = "DIR", description = "Where finished videos are kept (default DATA/videos); with "
            + "a shared --store, a path every instance sees (a shared file system).")
    Path results;
    @Option(names = "--lease", paramLabel = "SECONDS", description = "Shared store: how long a claimed job stays a worker's "
            + "without its heartbeat before it goes back to the queue (default ${DEFAULT-VALUE}).")
    int lease = 30;
    @Option(names = "--host", description = "Address to bind (default ${DEFAULT-VALUE}; 0.0.0.0 for all interfaces).")
    String host = "127.0.0.1";
    @Option(names = "--port", description = "TCP port (default ${DEFAULT-VALUE}).")
    int port = 8080;
    @Option(names = "--concurrency", description = "Worker threads taking jobs (default ${DEFAULT-VALUE}); the model is shared.")
    int concurrency = 1;
    @Option(names = "--queue-limit", description = "Queued plus running jobs before submissions get 429 (default ${DEFAULT-VALUE}).")
    int queueLimit = 100;
    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body (default ${DEFAULT-VALUE}).")
    int maxBody = 16 * 1024;
    @Option(names = "--max-prompt-chars", description = "Longest prompt (default ${DEFAULT-VALUE}).")
    int maxPromptChars = 2000;
    @Option(names = "--lora-dir", paramLabel = "DIR", description = "LoRA adapters requests may name: each DIR/NAME.safetensors, "
            + "applied on the fly to the requests that name it (\"loras\": [{\"name\": NAME, \"strength\": 1.0}]); the loaded "
            + "weights stay shared. --lora instead merges adapters into the weights for every request.")
    Path loraDir;
    @Option(names = "--shutdown-grace", paramLabel = "SECONDS",
            description = "On SIGTERM, how long a running job may finish before it is requeued (default ${DEFAULT-VALUE}).")
    int shutdownGrace = 30;
    @Option(names = "--read-timeout", paramLabel = "SECONDS",
            description = "Close a connection whose request line, headers and body take longer than this (default ${DEFAULT-VALUE}).")
    int readTimeout = 30;
    @Option(names = "--log-level", description = "SEVERE, WARNING, INFO or FINE (FINE logs every request) (default ${DEFAULT-VALUE}).")
    String logLevel = "INFO";

    /** Opens the model to serve: the text-to-video pipeline's loader. */
    static GeneratorFactory generators = (dir, dtype, device, offload, loras, lenient) ->
            ModelLoader.openForService(dir, dtype, device, offload, loras, lenient, ClipFiles.MP4_ONLY);

    @Override
    public Integer call() throws InterruptedException {
        if (data == null) throw new InvalidRequestException("--data DIR is required (where jobs, keys and videos are kept)");
        Level level;
        try {
            level = Level.parse(logLevel.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("--log-level: unknown level '" + logLevel + "'");
        }
        ServeOptions options = new ServeOptions(data, host, port, concurrency, queueLimit, maxBody, maxPromptChars,
                Duration.ofSeconds(shutdownGrace), ServeOptions.defaults(data).linkLifetime(), Duration.ofSeconds(readTimeout))
                .withStore(store, ServeOptions.Role.parse(role), results, Duration.ofSeconds(lease));
        WeightDtype weights = WeightDtype.parse(dtype);
        ComputeDevice where = device.parsed();
        Offload keep = offload.parsed();
        var adapters = lora.parsed();
        LoraCatalog perRequest = LoraCatalog.of(loraDir);
        ModelDirectory dir = modelDir != null ? ModelDirectory.resolve(modelDir, revision) : defaultModel();
        ComputeDevice on = where.resolve();
        JsonLogFormatter.install(level);
        VideoGenerator model = generators.open(dir, weights, on, keep, adapters, lora.lenient);
        ZoetropeServer server;
        try {
            server = ZoetropeServer.start(options, model, perRequest);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
                model.close();
            } finally {
                stopped.countDown();
            }
        }, "zoetrope-shutdown"));
        if (options.role().accepts()) {
            try (ServiceDatabase db = ServiceDatabase.open(store, data)) {
                if (new ApiKeys(db).list().stream().noneMatch(ApiKeys.KeyInfo::active))
                    System.out.println("No API key yet: make one with  zoetrope serve keys add " + storeArgs(store, data));
            }
        }
        System.out.println("Serving " + model.capabilities().family() + " on " + server.uri() + " (Ctrl-C to stop)");
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** How the keys command names the same store. */
    static String storeArgs(String store, Path data) {
        return store != null ? "--store '" + store.replaceAll("://([^:@/]*):[^@/]*@", "://$1:PASSWORD@") + "'" : "--data " + data;
    }

    private ModelDirectory defaultModel() {
        if (revision != null) throw new InvalidRequestException("--revision " + revision + " needs a repo id: --model-dir ORG/NAME");
        String home = System.getProperty("zoetrope.home");
        if (home == null) throw new InvalidRequestException("--model-dir DIR is required (zoetrope.home is not set, so "
                + "the shipped tiny model cannot be found)");
        return ModelDirectory.detect(Path.of(home, "models", "zoetrope-tiny"));
    }

    @Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage API keys (stored hashed in --data).",
            subcommands = {Keys.Add.class, Keys.ListKeys.class, Keys.Revoke.class})
    static final class Keys implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(System.out);
        }

        /** Which store the keys live in: the data directory's, or a shared one. */
        static final class Where {
            @Option(names = "--data", paramLabel = "DIR", description = "The server's data directory.")
            Path data;
            @Option(names = "--store", paramLabel = "URL", description = "The servers' shared store (postgresql://...) instead.")
            String store;

            ServiceDatabase open() {
                return ServiceDatabase.open(store, data);
            }

            String args() {
                return storeArgs(store, data);
            }
        }

        @Command(name = "add", mixinStandardHelpOptions = true, description = "Make a key and print it (shown only this once).")
        static final class Add implements Callable<Integer> {
            @Mixin
            Where where = new Where();
            @Option(names = "--name", description = "A label to recognise the key by (default ${DEFAULT-VALUE}).")
            String name = "key";

            @Override
            public Integer call() {
                try (ServiceDatabase db = where.open()) {
                    ApiKeys.NewKey k = new ApiKeys(db).add(name);
                    System.out.println(k.secret());
                    System.err.println("API key '" + k.info().name() + "' (id " + k.info().id()
                            + ") made; it is shown only now. Send it as 'Authorization: Bearer <key>'.");
                }
                return 0;
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (ids and names, never secrets).")
        static final class ListKeys implements Callable<Integer> {
            @Mixin
            Where where = new Where();

            @Override
            public Integer call() {
                try (ServiceDatabase db = where.open()) {
                    List<ApiKeys.KeyInfo> keys = new ApiKeys(db).list();
                    if (keys.isEmpty()) System.out.println("no keys; make one with: zoetrope serve keys add " + where.args());
                    for (ApiKeys.KeyInfo k : keys)
                        System.out.printf(Locale.ROOT, "%s  %-20s  created %s%s%n", k.id(), k.name(), k.createdAt(),
                                k.active() ? "" : "  REVOKED " + k.revokedAt());
                }
                return 0;
            }
        }

        @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key at once.")
        static final class Revoke implements Callable<Integer> {
            @Mixin
            Where where = new Where();
            @Parameters(paramLabel = "ID", description = "The key's id (from 'keys list') or the key itself.")
            String id;

            @Override
            public Integer call() {
                try (ServiceDatabase db = where.open()) {
                    if (!new ApiKeys(db).revoke(id)) throw new InvalidRequestException("no active key with id " + id);
                    System.out.println("revoked " + id);
                }
                return 0;
            }
        }
    }
}
