package dev.zoetrope.train.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Ops;

/**
 * This process's membership of a data-parallel run, on libtorch's c10d: rendezvous through a {@code TCPStore} that
 * rank 0 hosts, collectives through {@code ProcessGroupGloo} on the CPU (NCCL's process group for CUDA tensors).
 *
 * <p>Collectives are bucketed: the tensors are packed in order into flat buckets of at most {@value #BUCKET_ELEMENTS}
 * elements of one dtype, every bucket's collective is started before the first is waited for, so packing and copying
 * back overlap the transfers.
 *
 * <p>Faults: every collective gives up after the run's timeout. Beside the training thread a heartbeat thread bumps
 * this rank's counter in the store every {@link #BEAT} and watches its peers'; a peer whose counter stops for the
 * silence window (a quarter of the timeout, 2 to 30 s) is lost, and this process says which rank it was and exits with
 * {@value #LOST_RANK_EXIT} at once, even when the training thread is blocked inside a collective. Checkpoints are
 * written to a temporary file and renamed, so exiting mid-run loses at most the steps since the last one.
 */
public final class ProcessGroup implements AutoCloseable {
    /** Exit status of a process that stops because a peer was lost. */
    public static final int LOST_RANK_EXIT = 3;
    public static final long BUCKET_ELEMENTS = 1L << 22;
    static final Duration BEAT = Duration.ofMillis(500);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private static volatile ProcessGroup current;

    private final Topology topology;
    private final Duration timeout, silence;
    private final TCPStore store, watch;
    private final org.bytedeco.pytorch.Store backendStore;
    private final Backend backend;
    private final Thread heartbeat;
    private volatile boolean closing;
    private volatile int step;
    /** Collectives this rank has started, published with the heartbeat: a peer with fewer has not reached the one that waits. */
    private final java.util.concurrent.atomic.AtomicLong started = new java.util.concurrent.atomic.AtomicLong();
    private long bucketElements = BUCKET_ELEMENTS;
    private boolean overlaps = true;

    private ProcessGroup(Topology topology, Duration timeout, boolean cuda) {
        this.topology = topology;
        this.timeout = timeout;
        this.silence = Duration.ofMillis(Math.clamp(timeout.toMillis() / 4, 2_000, 30_000));
        String where = topology.masterAddr() + ":" + topology.masterPort();
        try {
            // Pinned so that no PointerScope open around the join frees them; the GC frees them with this object.
            this.store = Scopes.pin(new TCPStore(topology.masterAddr(), storeOptions(topology.rank() == 0, true)));
            this.watch = Scopes.pin(new TCPStore(topology.masterAddr(), storeOptions(false, false)));
        } catch (RuntimeException e) {
            throw new InvalidRequestException("rank " + topology.rank() + " of " + topology.worldSize() + " could not meet the others at "
                    + where + " within " + seconds(timeout) + ": " + firstLine(e));
        }
        // The backend holds its store through an intrusive_ptr (a reference count), while a TCPStore made with `new` here
        // is Java's alone and deleted when collected: handed to the backend, it would be deleted twice, or counted down
        // after it was freed (heap corruption once both are collected). So the backend gets its own client of the same
        // store, from clone(), which c10d made and counts; Java's wrapper holds one of its references.
        this.backendStore = Scopes.pin(store.clone());
        if (cuda) {
            this.backend = Scopes.pin(new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(backendStore, topology.rank(), topology.worldSize()));
        } else {
            ProcessGroupGloo.Options options = Scopes.pin(ProcessGroupGloo.Options.create(new Milliseconds(timeout.toMillis())));
            GlooDeviceVector devices = Scopes.pin(new GlooDeviceVector());
            // the interface the others reach this host at: GLOO_SOCKET_IFNAME as in PyTorch, else loopback for a
            // loopback master, else the address this host's name resolves to
            String iface = System.getenv("GLOO_SOCKET_IFNAME");
            devices.push_back(Scopes.pin(iface != null && !iface.isBlank() ? ProcessGroupGloo.createDeviceForInterface(iface.trim())
                    : ProcessGroupGloo.createDeviceForHostname(hostForPeers(topology.masterAddr()))));
            options.devices(devices);
            this.backend = Scopes.pin(new ProcessGroupGloo(backendStore, topology.rank(), topology.worldSize(), options));
        }
        this.heartbeat = Thread.ofPlatform().daemon().name("zoetrope-heartbeat-" + topology.rank()).unstarted(this::beat);
        heartbeat.start();
    }

    private TCPStoreOptions storeOptions(boolean server, boolean waitWorkers) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) topology.masterPort());
        o.isServer(server);
        o.waitWorkers(waitWorkers);
        o.numWorkers(new SizeTPointer(1).put(topology.worldSize()));
        o.timeout(new Milliseconds(timeout.toMillis()));
        return o;
    }

    /** Loopback masters are reached over loopback; otherwise the name this host goes by. */
    private static String hostForPeers(String master) {
        if (master.equals("localhost") || master.startsWith("127.")) return "127.0.0.1";
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "0.0.0.0";
        }
    }

    /**
     * Joins the run {@code topology} describes, waiting up to {@code timeout} for every rank to arrive; collectives use
     * NCCL when {@code cuda}, else gloo.
     */
    public static ProcessGroup join(Topology topology, Duration timeout, boolean cuda) {
        return new ProcessGroup(topology, timeout, cuda);
    }

    /** The group trainers of this process train in, set by {@link #install}; empty for a process training alone. */
    public static Optional<ProcessGroup> current() {
        return Optional.ofNullable(current);
    }

    /** Makes {@code group} the one every trainer of this process joins. */
    public static ProcessGroup install(ProcessGroup group) {
        current = group;
        return group;
    }

    public Topology topology() {
        return topology;
    }

    public int rank() {
        return topology.rank();
    }

    public int worldSize() {
        return topology.worldSize();
    }

    /** Rank 0 writes the run's files: checkpoints, metrics, plots, sample strips. */
    public boolean writes() {
        return topology.rank() == 0;
    }

    /** True unless this process is a rank other than 0 of a data-parallel run: whether it writes a run's files. */
    public static boolean writesFiles() {
        ProcessGroup g = current;
        return g == null || g.writes();
    }

    /** Work that only rank 0 does (data preparation, export), which the other ranks wait for. */
    @FunctionalInterface
    public interface Solo {
        void run() throws java.io.IOException;
    }

    /**
     * Runs {@code work} on rank 0 while the others wait for it to say it is done (however long it takes: the heartbeat
     * still ends them if rank 0 is lost). {@code name} must be unique within the run.
     */
    public void onRankZero(String name, Solo work) throws java.io.IOException {
        String done = "zoetrope/solo/" + name;
        if (writes()) {
            work.run();
            synchronized (watch) {
                watch.add(done, 1);
            }
            return;
        }
        while (true) {
            synchronized (watch) {
                if (watch.add(done, 0) > 0) return;
            }
            try {
                Thread.sleep(BEAT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InvalidRequestException("interrupted while waiting for rank 0's " + name);
            }
        }
    }

    /** Elements per gradient bucket (default {@value #BUCKET_ELEMENTS}, 16 MB of float32). */
    public long bucketElements() {
        return bucketElements;
    }

    /** Whether trainers start the gradients' all-reduce during the backward ({@link OverlappedAllReduce}); the default. */
    public boolean overlaps() {
        return overlaps;
    }

    /**
     * Sets how trainers in this group reduce gradients: {@code overlap} during the backward or after it, in buckets of
     * {@code elements}. Every rank must choose the same.
     */
    public ProcessGroup bucketing(long elements, boolean overlap) {
        if (elements < 1) throw new IllegalArgumentException("bucket size must be positive, got " + elements);
        this.bucketElements = elements;
        this.overlaps = overlap;
        return this;
    }

    /** Published with the heartbeat, to say in a fault where each rank had got to. */
    public void atStep(int step) {
        this.step = step;
    }

    /** Overwrites {@code tensors} on every rank with rank 0's. */
    public void broadcast(List<Tensor> tensors) {
        collective("broadcast", tensors, flat -> {
            BroadcastOptions o = new BroadcastOptions();
            o.rootRank(0);
            o.timeout(new Milliseconds(timeout.toMillis()));
            return backend.broadcast(new TensorVector(flat), o);
        }, false);
    }

    /** Replaces {@code tensors} on every rank with their mean over the ranks (a sum, then a division by the world size). */
    public void allReduceMean(List<Tensor> tensors) {
        collective("all-reduce", tensors, this::startSum, true);
    }

    /** A collective started on a flat tensor, in flight until {@link #await}. */
    public final class InFlight {
        private final String what;
        private final Work work;
        private final long number;

        private InFlight(String what, Work work) {
            this.what = what;
            // pinned: it may be started inside a scope that closes before it is waited for (a backward hook's)
            this.work = Scopes.pin(work);
            this.number = started.incrementAndGet();
        }

        /** Waits for it (at most the run's timeout); a lost or stuck peer is named as for the blocking collectives. */
        public void await() {
            try {
                work._wait();
            } catch (RuntimeException e) {
                throw failed(what, number, e);
            } finally {
                Scopes.release(work);
            }
        }
    }

    /**
     * Starts summing {@code flat} in place over the ranks and returns at once. Every rank must start the same
     * collectives in the same order.
     */
    public InFlight startAllReduceSum(Tensor flat) {
        return new InFlight("all-reduce", startSum(flat));
    }

    private Work startSum(Tensor flat) {
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        o.timeout(new Milliseconds(timeout.toMillis()));
        return backend.allreduce(new TensorVector(flat), o);
    }

    private interface Start {
        Work start(Tensor flat);
    }

    private void collective(String what, List<Tensor> tensors, Start start, boolean mean) {
        try (NoGradGuard ng = new NoGradGuard()) {
            List<List<Tensor>> buckets = buckets(tensors, bucketElements);
            List<Tensor> flats = new ArrayList<>();
            List<InFlight> works = new ArrayList<>();
            for (List<Tensor> b : buckets) {
                Tensor flat = pack(b);
                flats.add(flat);
                works.add(new InFlight(what, start.start(flat)));
            }
            for (int i = 0; i < buckets.size(); i++) {
                works.get(i).await();
                unpack(flats.get(i), buckets.get(i), mean ? topology.worldSize() : 1);
            }
        }
    }

    /** {@code tensors} flattened and concatenated, in order. */
    static Tensor pack(List<Tensor> tensors) {
        TensorVector parts = new TensorVector();
        for (Tensor t : tensors) parts.push_back(t.reshape(-1));
        return torch.cat(parts);
    }

    /** Copies {@code flat}, divided by {@code divisor}, back into {@code tensors} (as {@link #pack} laid them out). */
    static void unpack(Tensor flat, List<Tensor> tensors, int divisor) {
        if (divisor != 1) flat.div_(Ops.scalar(divisor));
        long at = 0;
        for (Tensor t : tensors) {
            long n = t.numel();
            t.copy_(flat.narrow(0, at, n).view(Tensors.shape(t)));
            at += n;
        }
    }

    /** Consecutive runs of one dtype and device, cut at {@code limit} elements (a larger tensor is a bucket of its own). */
    static List<List<Tensor>> buckets(List<Tensor> tensors, long limit) {
        List<List<Tensor>> out = new ArrayList<>();
        List<Tensor> open = null;
        long size = 0;
        for (Tensor t : tensors) {
            boolean fits = open != null && size + t.numel() <= limit && open.getFirst().scalar_type() == t.scalar_type()
                    && open.getFirst().device().str().getString().equals(t.device().str().getString());
            if (!fits) {
                open = new ArrayList<>();
                out.add(open);
                size = 0;
            }
            open.add(t);
            size += t.numel();
        }
        return out;
    }

    /**
     * Collective number {@code number} failed: the heartbeat thread gets the silence window to name a lost peer (it then
     * ends the process); if every peer still beats, one is stuck, and the error names the ranks that never started this
     * collective and the step they are at.
     */
    private RuntimeException failed(String what, long number, RuntimeException e) {
        try {
            Thread.sleep(silence.plus(BEAT.multipliedBy(4)));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        StringBuilder behind = new StringBuilder();
        try {
            for (int r = 0; r < topology.worldSize(); r++) {
                if (r == topology.rank()) continue;
                long at, reached;
                synchronized (watch) {
                    at = watch.add(key("step", r), 0);
                    reached = watch.add(key("collectives", r), 0);
                }
                if (reached < number)
                    behind.append(behind.isEmpty() ? "" : ", ").append("rank ").append(r).append(" at step ").append(at);
            }
        } catch (RuntimeException storeGone) {
            return lostMessage(0, "the rendezvous store it hosts stopped answering");
        }
        return new InvalidRequestException(String.format(Locale.ROOT, "rank %d: the %s at step %d did not complete within %s%s (%s); "
                        + "stop every rank and run the same command again to continue from the last checkpoint", topology.rank(), what, step, seconds(timeout),
                behind.isEmpty() ? "" : "; stuck before it, though alive: " + behind, firstLine(e)));
    }

    private InvalidRequestException lostMessage(int lost, String why) {
        return new InvalidRequestException(String.format(Locale.ROOT, "rank %d lost rank %d (%s) at step %d; the run stops here: "
                + "run the same command again once every rank can run, to continue from the last checkpoint", topology.rank(), lost, why, step));
    }

    private String key(String what, int rank) {
        return "zoetrope/" + what + "/" + rank;
    }

    /** The heartbeat thread: bumps this rank's counter and step, watches the peers' counters. */
    private void beat() {
        int n = topology.worldSize();
        long[] seen = new long[n];
        long[] changed = new long[n];
        long published = 0, publishedCollectives = 0;
        long now = System.nanoTime();
        java.util.Arrays.fill(changed, now);
        java.util.Arrays.fill(seen, -1);
        while (!closing) {
            try {
                synchronized (watch) {
                    watch.add(key("beat", topology.rank()), 1);
                    int s = step;
                    if (s != published) {
                        watch.add(key("step", topology.rank()), s - published);
                        published = s;
                    }
                    long c = started.get();
                    if (c != publishedCollectives) {
                        watch.add(key("collectives", topology.rank()), c - publishedCollectives);
                        publishedCollectives = c;
                    }
                    now = System.nanoTime();
                    for (int r = 0; r < n; r++) {
                        if (r == topology.rank()) continue;
                        if (watch.add(key("failed", r), 0) > 0 && !closing)
                            stop(lostMessage(r, "it stopped with an error, shown in its own output"));
                        long count = watch.add(key("beat", r), 0);
                        if (count != seen[r]) {
                            seen[r] = count;
                            changed[r] = now;
                        } else if (now - changed[r] > silence.toNanos() && watch.add(key("done", r), 0) == 0 && !closing) {
                            stop(lostMessage(r, "no heartbeat for " + seconds(silence)));
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (closing) return;
                stop(lostMessage(0, "the rendezvous store it hosts stopped answering"));
            }
            try {
                Thread.sleep(BEAT);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Ends the process at once: the training thread may be blocked in a collective that will never complete. */
    private void stop(InvalidRequestException why) {
        System.err.println();
        System.err.println("error: " + why.getMessage());
        System.err.flush();
        Runtime.getRuntime().halt(LOST_RANK_EXIT);
    }

    /**
     * Leaves the run: says this rank is done (its heartbeat may stop without alarming the others), and on rank 0, which
     * hosts the store, waits for the others to say so before the store goes away.
     */
    @Override
    public void close() {
        closing = true;
        heartbeat.interrupt();
        try {
            heartbeat.join(BEAT.multipliedBy(4).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            synchronized (watch) {
                watch.add(key("done", topology.rank()), 1);
                if (topology.rank() == 0) {
                    long deadline = System.nanoTime() + timeout.toNanos();
                    for (int r = 1; r < topology.worldSize() && System.nanoTime() < deadline; r++)
                        while (watch.add(key("done", r), 0) == 0 && System.nanoTime() < deadline) Thread.sleep(BEAT.toMillis() / 5);
                }
            }
        } catch (RuntimeException | InterruptedException ignored) {
            // a peer already gone cannot be waited for
        }
        if (current == this) current = null;
    }

    /**
     * Leaves the run after this rank failed: the others are told at their next heartbeat and stop, naming this rank,
     * instead of waiting out the timeout; nobody is waited for.
     */
    public void fail() {
        closing = true;
        heartbeat.interrupt();
        try {
            synchronized (watch) {
                watch.add(key("failed", topology.rank()), 1);
            }
            // rank 0 hosts the store: it stays up a few heartbeats, long enough for every peer to read the news
            if (topology.rank() == 0) Thread.sleep(BEAT.multipliedBy(4).toMillis());
        } catch (RuntimeException | InterruptedException ignored) {
            // the store is gone already: the others notice that instead
        }
        if (current == this) current = null;
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.0f s", d.toMillis() / 1000.0);
    }

    private static String firstLine(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
