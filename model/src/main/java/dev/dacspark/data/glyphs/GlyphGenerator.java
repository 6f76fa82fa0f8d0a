package dev.dacspark.data.glyphs;

import dev.dacspark.clip.RgbImage;
import dev.dacspark.data.Seeds;

import java.util.SplittableRandom;

/**
 * Image-caption pairs of glyphs, each a pure function of the generator's seed and the sample's own key, so that
 * any sample can be made alone, in any order, on any machine, with the same bytes. Images are
 * {@code size x size} grey pixels from {@link GlyphRenderer}; captions come from {@link GlyphCaptions}.
 */
public final class GlyphGenerator {
    private final long seed;
    private final int size;

    /** One pair: the class it shows, its style, its caption and its image. */
    public record Sample(GlyphClass glyph, GlyphStyle style, String caption, RgbImage image) {}

    public GlyphGenerator(long seed, int size) {
        if (size < 8) {
            throw new IllegalArgumentException("glyph images need at least 8 x 8 pixels, got " + size);
        }
        this.seed = seed;
        this.size = size;
    }

    /** Sample {@code index} of a mix: category by the mix's weights, class uniform, style, caption and image. */
    public Sample sample(GlyphMix mix, long index) {
        SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, index));
        Category category = mix.category(rng.nextDouble());
        GlyphClass glyph = category.glyph(rng.nextInt(category.size()));
        GlyphStyle style = mix.styles().get(rng.nextInt(mix.styles().size()));
        String caption = GlyphCaptions.caption(glyph, rng);
        return new Sample(glyph, style, caption, GlyphRenderer.render(glyph, style, size, rng.nextLong()));
    }

    /**
     * An image of a given class and style; {@code key} (e.g. split and index) tells images of one class and style
     * apart. The class and style are part of the seed, so streams of different styles are independent.
     */
    public RgbImage image(GlyphClass glyph, GlyphStyle style, long... key) {
        long[] parts = new long[key.length + 3];
        parts[0] = seed;
        parts[1] = glyph.globalLabel();
        parts[2] = style.ordinal();
        System.arraycopy(key, 0, parts, 3, key.length);
        return GlyphRenderer.render(glyph, style, size, Seeds.mix(parts));
    }
}
