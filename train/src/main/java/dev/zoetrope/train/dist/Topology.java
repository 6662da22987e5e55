package dev.zoetrope.train.dist;

import java.util.Map;
import java.util.Optional;

import dev.zoetrope.core.InvalidRequestException;

/**
 * Where one process stands in a data-parallel run, in torchrun's terms: its global {@code rank} among
 * {@code worldSize} processes, its {@code localRank} on its machine (which CUDA device it takes), and the rendezvous
 * address, where rank 0 hosts the store every rank meets at.
 */
public record Topology(int rank, int worldSize, int localRank, String masterAddr, int masterPort) {
    public static final String RANK = "RANK", WORLD_SIZE = "WORLD_SIZE", LOCAL_RANK = "LOCAL_RANK", MASTER_ADDR = "MASTER_ADDR",
            MASTER_PORT = "MASTER_PORT";
    /** torchrun's default rendezvous port. */
    public static final int DEFAULT_PORT = 29500;

    public Topology {
        if (worldSize < 1) throw new InvalidRequestException("the world size must be at least 1, not " + worldSize);
        if (rank < 0 || rank >= worldSize) throw new InvalidRequestException("rank " + rank + " is outside 0.." + (worldSize - 1));
        if (localRank < 0) throw new InvalidRequestException("the local rank must be at least 0, not " + localRank);
        if (masterAddr == null || masterAddr.isBlank()) throw new InvalidRequestException("the master address is empty");
        if (masterPort < 1 || masterPort > 65535) throw new InvalidRequestException("the master port must be within 1..65535, not " + masterPort);
    }

    /**
     * The topology a launcher (ours, torchrun, a scheduler's) put in the environment, or nothing when {@code WORLD_SIZE}
     * is absent: then the process trains alone. {@code LOCAL_RANK} defaults to {@code RANK}, the master to
     * 127.0.0.1:{@value #DEFAULT_PORT}.
     */
    public static Optional<Topology> fromEnvironment(Map<String, String> env) {
        String world = env.get(WORLD_SIZE);
        if (world == null || world.isBlank()) return Optional.empty();
        int size = number(env, WORLD_SIZE, null);
        int rank = number(env, RANK, null);
        return Optional.of(new Topology(rank, size, number(env, LOCAL_RANK, rank), env.getOrDefault(MASTER_ADDR, "127.0.0.1"),
                number(env, MASTER_PORT, DEFAULT_PORT)));
    }

    private static int number(Map<String, String> env, String name, Integer fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            if (fallback == null) throw new InvalidRequestException(WORLD_SIZE + " is set but " + name + " is not");
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("environment variable " + name + " must be a whole number, not '" + v + "'");
        }
    }

    /** The environment that puts a child process at this place. */
    public Map<String, String> environment() {
        return Map.of(RANK, Integer.toString(rank), WORLD_SIZE, Integer.toString(worldSize), LOCAL_RANK, Integer.toString(localRank),
                MASTER_ADDR, masterAddr, MASTER_PORT, Integer.toString(masterPort));
    }

    /** The samples of a global batch each rank computes; refused when the ranks cannot share it equally. */
    public int perRankBatch(int globalBatch) {
        if (globalBatch % worldSize != 0)
            throw new InvalidRequestException("the recipe's batch_size " + globalBatch + " (the global batch) does not divide among "
                    + worldSize + " processes; choose a world size that divides it");
        return globalBatch / worldSize;
    }
}
