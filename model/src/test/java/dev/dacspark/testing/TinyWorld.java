package dev.dacspark.testing;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/** A tiny CLIP checkpoint and small generated image-folder tasks, for end-to-end tests. */
public final class TinyWorld {
    private TinyWorld() {}

    /** A CLIP small enough to train in milliseconds, with CLIP's BPE vocabulary. */
    public static final ClipConfig TINY = new ClipConfig(32, 32, 1, 32, 8, 2, 77, 49408, 32, 2, 1);

    /** Writes a randomly initialised tiny CLIP (seeded) and returns its path. */
    public static Path checkpoint(Path dir, long seed) {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = new ClipModel(TINY);
            model.initialize(m, seed);
            Path f = dir.resolve("tiny-clip.safetensors");
            ClipCheckpoint.save(model, f, ClipCheckpoint.Format.OPENAI, Map.of());
            return f;
        }
    }

    /** Kinds of generated task. */
    public enum Kind { COLORS, SHAPES, STRIPES }

    /** Writes root/{train,test}/<class>/*.png for a generated task; returns root. */
    public static Path task(Path root, Kind kind, int trainPerClass, int testPerClass, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        String[] classes = switch (kind) {
            case COLORS -> new String[] {"red", "green", "blue"};
            case SHAPES -> new String[] {"circle", "square"};
            case STRIPES -> new String[] {"horizontal_stripes", "vertical_stripes"};
        };
        try {
            for (String split : new String[] {"train", "test"}) {
                int n = split.equals("train") ? trainPerClass : testPerClass;
                for (int c = 0; c < classes.length; c++) {
                    Path dir = Files.createDirectories(root.resolve(split).resolve(classes[c]));
                    for (int i = 0; i < n; i++) {
                        ImageIO.write(draw(kind, c, rng), "png", dir.resolve(String.format("%03d.png", i)).toFile());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return root;
    }

    private static BufferedImage draw(Kind kind, int c, SplittableRandom rng) {
        int w = 36 + rng.nextInt(8);
        int h = 36 + rng.nextInt(8);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        int jitter = rng.nextInt(40);
        switch (kind) {
            case COLORS -> {
                int[][] rgb = {{200 + jitter / 2, jitter, jitter}, {jitter, 200 + jitter / 2, jitter}, {jitter, jitter, 200 + jitter / 2}};
                g.setColor(new Color(rgb[c][0], rgb[c][1], rgb[c][2]));
                g.fillRect(0, 0, w, h);
            }
            case SHAPES -> {
                g.setColor(Color.BLACK);
                g.fillRect(0, 0, w, h);
                g.setColor(Color.WHITE);
                int s = 14 + rng.nextInt(10);
                int x = rng.nextInt(w - s);
                int y = rng.nextInt(h - s);
                if (c == 0) {
                    g.fillOval(x, y, s, s);
                } else {
                    g.fillRect(x, y, s, s);
                }
            }
            case STRIPES -> {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, w, h);
                g.setColor(Color.DARK_GRAY);
                int period = 4 + rng.nextInt(4);
                for (int p = rng.nextInt(period); p < (c == 0 ? h : w); p += period) {
                    if (c == 0) {
                        g.fillRect(0, p, w, period / 2);
                    } else {
                        g.fillRect(p, 0, period / 2, h);
                    }
                }
            }
        }
        g.dispose();
        return img;
    }
}
