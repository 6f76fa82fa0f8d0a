package dev.dacspark.lora;

/**
 * The vote exchange of a data-parallel step: a module's batch votes summed over the ranks, before the
 * module's mask is chosen. It is a collective operation inside the forward pass (one per routed module and
 * pass, in module order on every rank); the step installs it on the pools ({@link ExpertPools#setVoteExchange}).
 */
@FunctionalInterface
public interface VoteExchange {
    /** One process: its batch's votes are all the votes. */
    VoteExchange NONE = votes -> votes;

    /** This rank's votes (r) -> the votes of every rank's batch, summed (r). */
    float[] sumOverRanks(float[] votes);
}
