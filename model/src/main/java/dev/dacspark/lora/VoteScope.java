package dev.dacspark.lora;

/** Whose votes choose a batch's mask when training runs on several ranks ({@code dac.method.vote-scope}). */
public enum VoteScope {
    /** The votes of the whole (global) batch: W ranks compute what one process does with batch W*b. */
    GLOBAL,
    /** Each rank's own votes, as PyTorch DataParallel would; the running counts are still summed. */
    LOCAL
}
