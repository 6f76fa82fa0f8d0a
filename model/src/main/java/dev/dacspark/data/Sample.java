package dev.dacspark.data;

import dev.dacspark.clip.RgbImage;

import java.util.function.Supplier;

/**
 * One labelled image of a task: a stable id (its path or row id, used to seed its augmentation),
 * the class index, and its pixels, decoded on demand.
 */
public record Sample(String id, int label, Supplier<RgbImage> image) {}
