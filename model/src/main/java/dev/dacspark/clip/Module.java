package dev.dacspark.clip;

import ai.djl.ndarray.types.Shape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node of the model tree, in the manner of {@code torch.nn.Module}: named parameters and named
 * child modules, so that every tensor has a stable dotted name ({@code
 * visual.transformer.resblocks.0.attn.q_proj.weight}) that matches the checkpoint keys.
 *
 * <p>We keep our own tree instead of DJL's {@code AbstractBlock}: DJL prefixes child names with a
 * counter ({@code 01conv1}) and does not let a parameter's value be replaced after its shape is
 * declared, and both loading checkpoints and merging LoRA updates need exactly that. The
 * computation itself is DJL's: every forward pass is built from DJL {@code NDArray} operations on
 * the PyTorch engine, so autograd, devices and memory are DJL's.
 */
public abstract class Module {
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    /** Declares a parameter of this module. */
    protected final Param param(String name, long... shape) {
        Param p = new Param(name, new Shape(shape));
        params.put(name, p);
        return p;
    }

    /**
     * Declares a child module. A child named {@code ""} is inline: its parameters are named as if
     * they were this module's own (how an adapter's {@code lora_A} appears as {@code q_proj.lora_A}).
     */
    protected final <M extends Module> M child(String name, M module) {
        children.put(name, module);
        return module;
    }

    /** Removes a child module (used to detach adapters). */
    protected final void removeChild(String name) {
        children.remove(name);
    }

    /** Direct children by name. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter of this subtree by dotted name, in declaration order. */
    public final Map<String, Param> namedParameters() {
        Map<String, Param> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Param> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collectParameters(n.isEmpty() ? prefix : prefix + n + ".", out));
    }

    /** Every module of this subtree (this one under "") by dotted name. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        children.forEach((n, c) -> {
            if (n.isEmpty()) { // an inline child (an adapter): its parts appear under this module's name
                c.children.forEach((cn, cc) -> cc.collectModules(name.isEmpty() ? cn : name + "." + cn, out));
            } else {
                c.collectModules(name.isEmpty() ? n : name + "." + n, out);
            }
        });
    }

    /** Freezes (or unfreezes) every parameter of this subtree. */
    public final void setTrainable(boolean trainable) {
        namedParameters().values().forEach(p -> p.setTrainable(trainable));
    }

    /** Number of values in this subtree's parameters (declared shapes; no value needed). */
    public final long parameterCount() {
        return namedParameters().values().stream().mapToLong(Param::numel).sum();
    }

    /** Number of values in trainable parameters. */
    public final long trainableParameterCount() {
        return namedParameters().values().stream().filter(Param::trainable).mapToLong(Param::numel).sum();
    }
}
