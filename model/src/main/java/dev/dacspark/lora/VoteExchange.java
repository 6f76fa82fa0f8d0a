package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;

/**
 * The vote exchange of a data-parallel step: a module's batch votes summed over the ranks, before the
 * module's mask is chosen. It is a collective operation inside the forward pass (one per routed module and
 * pass, in module order on every rank); the step installs it on the pools ({@link ExpertPools#setVoteExchange}).
 */
@FunctionalInterface
public interface VoteExchange {
    /** One process: its batch's votes are all the votes (nothing leaves the device). */
    VoteExchange NONE = votes -> votes;

    /** This rank's votes (r) -> the votes of every rank's batch, summed (r), on the votes' device. */
    NDArray sumOverRanks(NDArray votes);
}
