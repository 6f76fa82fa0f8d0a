package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A stack of residual attention blocks, named {@code resblocks.0 .. resblocks.(layers-1)}. */
public final class Transformer extends Module {
    private final List<ResidualAttentionBlock> blocks = new ArrayList<>();

    public Transformer(long width, int layers, int heads) {
        Module resblocks = child("resblocks", new Module() {});
        for (int i = 0; i < layers; i++) {
            blocks.add(resblocks.child(Integer.toString(i), new ResidualAttentionBlock(width, heads)));
        }
    }

    public List<ResidualAttentionBlock> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    /** x: (N, L, D); mask: (L, L) additive or null. */
    public NDArray forward(NDArray x, NDArray mask) {
        for (ResidualAttentionBlock b : blocks) {
            x = b.forward(x, mask);
        }
        return x;
    }
}
