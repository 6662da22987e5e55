package dev.zoetrope.serve;

import java.time.Instant;

/**
 * One generation job as stored.
 *
 * @param seq insertion order, used for queue order and list cursors
 * @param owner id of the API key that submitted it
 * @param result JSON of the finished clip's facts (size, frames, fps, seconds), or null
 * @param cancelRequested its owner asked to cancel it; a running job stops at its next step
 * @param worker the worker that claimed it last, or null
 * @param leaseUntil while running on a shared store: when it goes back to the queue unless its worker renews the lease
 * @param progress while running on a shared store: the progress its worker last published, or null
 * @param claim while running: the token of the claim that runs it, which every write for this run names
 */
public record Job(long seq, String id, String owner, JobStatus status, JobParams params, String error, int attempts,
                  Instant createdAt, Instant startedAt, Instant finishedAt, String result, boolean cancelRequested,
                  String worker, Instant leaseUntil, JobWorkers.Progress progress, String claim) {}
