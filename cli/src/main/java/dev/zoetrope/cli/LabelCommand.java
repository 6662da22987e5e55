package dev.zoetrope.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.zoetrope.curate.filter.LabelTrainer;
import dev.zoetrope.curate.labels.Agreement;
import dev.zoetrope.curate.labels.ClipCatalog;
import dev.zoetrope.curate.labels.LabelConfig;
import dev.zoetrope.curate.labels.LabelServer;
import dev.zoetrope.curate.labels.LabelStore;
import dev.zoetrope.curate.labels.LabelStudioFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "label", mixinStandardHelpOptions = true,
        description = "Hand-label clips in the browser, measure agreement, exchange Label Studio JSON, train the learned filter.",
        subcommands = {LabelCommand.Serve.class, LabelCommand.Train.class, LabelCommand.Export.class, LabelCommand.Import.class,
                LabelCommand.AgreementCmd.class})
final class LabelCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static LabelConfig config(Path file) {
        return file == null ? LabelConfig.defaults() : LabelConfig.read(file);
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve the labelling page.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--db", required = true) Path db;
        @Option(names = "--clips", required = true, description = "A directory of clips, or a curation manifest.jsonl.") Path clips;
        @Option(names = "--port", defaultValue = "8089") int port;
        @Option(names = "--host", defaultValue = "127.0.0.1") String host;
        @Option(names = "--allow-host", paramLabel = "NAME[:PORT]",
                description = "A further name the page may be opened by (e.g. the local end of an SSH tunnel, localhost:9000); repeatable.")
        java.util.List<String> allowHosts = new java.util.ArrayList<>();
        @Option(names = "--attributes", description = "Attribute configuration JSON (default: overall, lighting, composition, motion, text).")
        Path attributes;

        @Override
        public Integer call() throws Exception {
            LabelConfig config = config(attributes);
            try (LabelStore store = LabelStore.open(db)) {
                ClipCatalog catalog = ClipCatalog.of(clips);
                int added = store.addClips(catalog.clips());
                try (LabelServer server = LabelServer.start(host, port, allowHosts, store, config, catalog.root())) {
                    // The token is the only key to the page: print it once, as the address to open.
                    System.out.println("labelling " + store.clips().size() + " clips (" + added + " new); open " + server.url() + "  (Ctrl-C to stop)");
                    new CountDownLatch(1).await();
                }
            }
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, description = "Fit the learned filter on labels; report cross-validated accuracy and AUC.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--db", required = true) Path db;
        @Option(names = "--features", required = true, description = "features.jsonl of a curation run.") Path features;
        @Option(names = "--out", defaultValue = "filter-model.json") Path out;
        @Option(names = "--attribute", defaultValue = "overall") String attribute;
        @Option(names = "--positive-at", defaultValue = "4", description = "Mean rating at or above which a clip is good.") double positiveAt;
        @Option(names = "--l2", defaultValue = "1.0") double l2;
        @Option(names = "--folds", defaultValue = "5") int folds;
        @Option(names = "--threshold", defaultValue = "0.5") double threshold;

        @Override
        public Integer call() throws Exception {
            try (LabelStore store = LabelStore.open(db)) {
                LabelTrainer.Result r = LabelTrainer.train(store, features, attribute, positiveAt, l2, folds, threshold);
                r.model().save(out);
                System.out.printf(Locale.ROOT, "%d labelled clips (%d good, %d bad); %d-fold CV accuracy %.3f, AUC %.3f; model written to %s%n",
                        r.cv().examples(), r.positives(), r.negatives(), r.cv().folds(), r.cv().accuracy(), r.cv().auc(), out);
            }
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Write all clips and labels as Label Studio JSON.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--db", required = true) Path db;
        @Option(names = "--out", required = true) Path out;
        @Option(names = "--attributes") Path attributes;

        @Override
        public Integer call() throws Exception {
            try (LabelStore store = LabelStore.open(db)) {
                LabelStudioFormat.exportTo(out, store, config(attributes));
            }
            System.out.println("wrote " + out);
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true, description = "Read Label Studio JSON tasks and annotations into the database.")
    static final class Import implements Callable<Integer> {
        @Option(names = "--db", required = true) Path db;
        @Option(names = "--in", required = true) Path in;
        @Option(names = "--attributes") Path attributes;

        @Override
        public Integer call() throws Exception {
            try (LabelStore store = LabelStore.open(db)) {
                System.out.println("imported " + LabelStudioFormat.importFrom(in, store, config(attributes)) + " labels");
            }
            return 0;
        }
    }

    @Command(name = "agreement", mixinStandardHelpOptions = true, description = "Krippendorff's alpha per attribute.")
    static final class AgreementCmd implements Callable<Integer> {
        @Option(names = "--db", required = true) Path db;
        @Option(names = "--attributes") Path attributes;

        @Override
        public Integer call() throws Exception {
            LabelConfig config = config(attributes);
            try (LabelStore store = LabelStore.open(db)) {
                var values = store.valuesByAttribute();
                for (var a : config.attributes()) {
                    Agreement.Result r = Agreement.alpha(a.name(), values.getOrDefault(a.name(), java.util.Map.of()).values(), a.interval());
                    System.out.printf(Locale.ROOT, "%-14s alpha %s over %d clips%n", a.name(),
                            Double.isNaN(r.alpha()) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.alpha()), r.clips());
                }
            }
            return 0;
        }
    }
}
