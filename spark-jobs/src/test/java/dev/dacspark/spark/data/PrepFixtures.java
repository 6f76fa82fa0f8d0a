package dev.dacspark.spark.data;

import com.typesafe.config.ConfigFactory;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** A generated image-folder task full of bad files, and prep configs over it. */
final class PrepFixtures {
    private PrepFixtures() {}

    /** The tree's good files (relative ids) and bad files with a fragment of their expected reason. */
    record Tree(Path root, Set<String> good, Map<String, String> bad) {}

    static final String FOLDER_TASK = "{ name = pets, source { type = image-folder, root = folder }, templates = [\"a photo of a {}.\"], shots = 2 }";

    /** root/{train,test}/{cat,dog}: 18 good images and 5 bad files of every kind; plus ignored hidden and marker files. */
    static Tree imageFolder(Path root) throws IOException {
        Set<String> good = new TreeSet<>();
        Map<String, String> bad = new TreeMap<>();
        for (String split : List.of("train", "test")) {
            for (String cls : List.of("cat", "dog")) {
                int n = split.equals("train") ? 6 : 3;
                for (int i = 0; i < n; i++) {
                    String ext = cls.equals("cat") ? "png" : "jpg";
                    String rel = split + "/" + cls + "/" + i + "." + ext;
                    write(root.resolve(rel), image(40 + 7 * i, 30 + 5 * i, cls.equals("cat") ? Color.ORANGE : Color.GRAY, ext));
                    good.add(rel);
                }
            }
        }
        byte[] png = image(64, 48, Color.RED, "png");
        byte[] jpg = image(64, 48, Color.BLUE, "jpg");
        bad(root, bad, "train/cat/empty.png", new byte[0], "empty file (0 bytes)");
        bad(root, bad, "train/dog/truncated.png", Arrays.copyOf(png, png.length / 2), "");
        bad(root, bad, "train/dog/notes.txt", "these are my notes, not a picture".getBytes(), "not a recognised image format");
        bad(root, bad, "train/cat/huge.png", image(400, 300, Color.GREEN, "png"), "pixel limit");
        bad(root, bad, "test/dog/truncated.jpg", Arrays.copyOf(jpg, jpg.length - 200), "truncated");
        write(root.resolve("train/cat/.DS_Store"), new byte[] {1, 2, 3}); // hidden: not a record
        write(root.resolve("_SUCCESS"), new byte[0]);                     // marker: not a record
        return new Tree(root, good, bad);
    }

    /** A prep config (resolution 32, 2 workers, pixel limit 100000) whose relative paths resolve against base. */
    static PrepConfig config(Path base, Path out, long seed, String tasks) {
        return PrepConfig.from(ConfigFactory.parseString("""
                dac.prep {
                  output = "%s"
                  seed = %d
                  workers = 2
                  resolution = 32
                  train-short-side = 40
                  max-bad-fraction = 0.5
                  max-pixels = 100000
                  progress-interval = 1
                  tasks = [ %s ]
                }
                """.formatted(out, seed, tasks)), base);
    }

    private static void bad(Path root, Map<String, String> bad, String rel, byte[] bytes, String reason) throws IOException {
        write(root.resolve(rel), bytes);
        bad.put(rel, reason);
    }

    static void write(Path p, byte[] bytes) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, bytes);
    }

    static byte[] image(int w, int h, Color c, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.WHITE);
        g.drawLine(0, 0, w - 1, h - 1);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }
}
