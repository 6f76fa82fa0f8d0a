package dev.dacspark.spark.data;

import com.typesafe.config.ConfigFactory;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
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

    /** The tree's good files (relative ids), bad files with a fragment of their expected reason, and skipped files by reason. */
    record Tree(Path root, Set<String> good, Map<String, String> bad, Map<String, Set<String>> skipped) {}

    static final String FOLDER_TASK = "{ name = pets, source { type = image-folder, root = folder }, templates = [\"a photo of a {}.\"], shots = 2 }";

    /** root/{train,test}/{cat,dog}: 18 good images and 5 bad files of every kind; plus skipped hidden, marker and text files. */
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
        bad(root, bad, "train/dog/notes.png", "these are my notes, not a picture".getBytes(), "not a recognised image format");
        bad(root, bad, "train/cat/huge.png", image(400, 300, Color.GREEN, "png"), "pixel limit");
        bad(root, bad, "test/dog/truncated.jpg", Arrays.copyOf(jpg, jpg.length - 200), "truncated");
        write(root.resolve("train/cat/.DS_Store"), new byte[] {1, 2, 3});                 // hidden: skipped
        write(root.resolve("_SUCCESS"), new byte[0]);                                     // marker: skipped as hidden
        write(root.resolve("train/dog/notes.txt"), "not an image extension".getBytes());  // skipped as ImageFolder skips it
        return new Tree(root, good, bad, Map.of(ImageFolderSource.HIDDEN, Set.of("train/cat/.DS_Store", "_SUCCESS"),
                "not an image extension (.txt)", Set.of("train/dog/notes.txt")));
    }

    /**
     * An official-layout tree with every kind of odd file, and what prep must make of each: good records (a symlink to
     * an image, a nested sub-folder's image, a name with a space, '#' and '%'), quarantined ones with a fragment of their
     * reason (a symlink loop, a dangling symlink, a link to a folder above it, a name that is not UTF-8), skipped files
     * by reason (hidden, a text file, files outside the class folders); plus a class folder without any file ('empty')
     * and a class with no test images ('owl').
     */
    static Tree oddTree(Path root) throws IOException, InterruptedException {
        Set<String> good = new TreeSet<>();
        for (String rel : List.of("train/cat/0.png", "train/cat/1.png", "train/cat/2.png", "train/cat/more/deep.png", "train/cat/a b#1%.png",
                "train/dog/0.png", "train/dog/1.png", "train/dog/2.png", "train/owl/0.png", "train/owl/1.png",
                "test/cat/0.png", "test/cat/1.png", "test/dog/0.png", "test/dog/1.png")) {
            write(root.resolve(rel), image(30 + good.size(), 30, Color.CYAN, "png"));
            good.add(rel);
        }
        Files.createSymbolicLink(root.resolve("train/cat/link.png"), Path.of("../dog/0.png"));
        good.add("train/cat/link.png");
        Files.createSymbolicLink(root.resolve("train/cat/loop.png"), Path.of("loop.png"));
        Files.createSymbolicLink(root.resolve("train/cat/dangling.png"), Path.of("nowhere.png"));
        Files.createSymbolicLink(root.resolve("train/dog/up"), Path.of(".."));
        Process p = new ProcessBuilder("sh", "-c", "cp \"$1/train/cat/0.png\" \"$1/train/cat/$(printf '\\377\\376.png')\"", "sh", root.toString())
                .inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("cannot create a file with a non-UTF-8 name in " + root);
        }
        Files.createDirectories(root.resolve("train/empty"));
        write(root.resolve("train/cat/.hidden.png"), image(20, 20, Color.RED, "png"));
        write(root.resolve(".git/config"), "[core]\n".getBytes());
        write(root.resolve("train/cat/notes.txt"), "notes".getBytes());
        write(root.resolve("README.md"), "a dataset".getBytes());
        write(root.resolve("train/stray.png"), image(20, 20, Color.RED, "png"));
        Map<String, String> bad = Map.of("train/cat/loop.png", "a symbolic link that cannot be followed",
                "train/cat/dangling.png", "a dangling symbolic link (to nowhere.png", "train/dog/up", "a symbolic link to a folder above it",
                "train/cat/" + new String(new byte[] {(byte) 0xff, (byte) 0xfe}, Charset.forName(System.getProperty("sun.jnu.encoding"))) + ".png",
                "the file name is not valid " + System.getProperty("sun.jnu.encoding"));
        return new Tree(root, good, bad, Map.of(ImageFolderSource.HIDDEN, Set.of("train/cat/.hidden.png", ".git/config"),
                "not an image extension (.txt)", Set.of("train/cat/notes.txt"),
                ImageFolderSource.NOT_IN_A_CLASS_FOLDER, Set.of("README.md", "train/stray.png")));
    }

    /** A prep config (resolution 32, 2 workers, pixel limit 100000) whose relative paths resolve against base. */
    static PrepConfig config(Path base, Path out, long seed, String tasks) {
        return config(base, out, seed, tasks, "");
    }

    /** The same with more dac.prep settings (HOCON). */
    static PrepConfig config(Path base, Path out, long seed, String tasks, String settings) {
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
                  %s
                }
                """.formatted(out, seed, tasks, settings)), base);
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
