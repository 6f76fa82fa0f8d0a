package dev.dacspark.spark.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.testing.SparkSessions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prep job on generated image folders and manifests full of bad records, on local[2]. */
class PrepJobTest {
    @TempDir
    static Path data;
    static SparkSession spark;

    static PrepFixtures.Tree tree;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkSessions.local(Map.of());
        tree = PrepFixtures.imageFolder(data.resolve("folder"));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static PrepConfig config(Path out, long seed, String tasks) {
        return PrepFixtures.config(data, out, seed, tasks);
    }

    static PrepConfig config(Path out, long seed, String tasks, String settings) {
        return PrepFixtures.config(data, out, seed, tasks, settings);
    }

    static List<Row> rows(Path dir) {
        return spark.read().parquet(dir.toString()).collectAsList();
    }

    @Test
    void imageFolderWithBadRecords(@TempDir Path out) throws IOException {
        new PrepJob(spark, config(out, 42, PrepFixtures.FOLDER_TASK)).run();
        // every good record present exactly once, in its split, at the right size
        Map<String, Integer> seen = new HashMap<>();
        for (String split : List.of("train", "test")) {
            for (Row r : rows(out.resolve("pets").resolve(split))) {
                String id = r.getAs("id");
                seen.merge(id, 1, Integer::sum);
                assertTrue(id.startsWith(split + "/"), id + " in " + split);
                assertEquals(id.contains("/cat/") ? 0 : 1, (int) r.getAs("label"), id);
                int w = r.getAs("width");
                int h = r.getAs("height");
                if (split.equals("test")) {
                    assertEquals(32, w, id);
                    assertEquals(32, h, id);
                } else {
                    assertEquals(Math.min(40, Math.min(w, h)), Math.min(w, h), id);
                }
                BufferedImage decoded = ImageIO.read(new java.io.ByteArrayInputStream(r.getAs("image")));
                assertEquals(w, decoded.getWidth(), id);
            }
        }
        assertEquals(tree.good(), seen.keySet());
        assertTrue(seen.values().stream().allMatch(n -> n == 1), seen.toString());

        // the quarantine: exactly the bad files, each with its reason
        Map<String, String> reasons = rows(out.resolve("pets/quarantine")).stream()
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r.getAs("reason")));
        assertEquals(tree.bad().keySet(), reasons.keySet());
        tree.bad().forEach((id, fragment) -> assertTrue(reasons.get(id).contains(fragment), id + ": " + reasons.get(id)));
        assertTrue(reasons.values().stream().allMatch(r -> !r.isBlank()));

        // few-shot: 2 per class from train; shards: 2, balanced within one per class
        List<Row> fewshot = rows(out.resolve("pets/fewshot"));
        assertEquals(4, fewshot.size());
        Map<Integer, Long> perShard = rows(out.resolve("pets/train")).stream()
                .collect(Collectors.groupingBy(r -> (Integer) r.getAs("shard"), Collectors.counting()));
        assertEquals(Set.of(0, 1), perShard.keySet());
        assertTrue(Math.abs(perShard.get(0) - perShard.get(1)) <= 2, perShard.toString());

        // metadata and manifest
        JsonNode meta = new ObjectMapper().readTree(out.resolve("pets/_task.json").toFile());
        assertEquals("[\"cat\",\"dog\"]", meta.get("classnames").toString());
        assertEquals("[6,6]", meta.get("counts").get("train").toString());
        assertEquals("[3,3]", meta.get("counts").get("test").toString());
        assertEquals("[2,2]", meta.get("counts").get("fewshot").toString());
        assertEquals(tree.bad().size(), meta.get("quarantined").asInt());
        assertAccounted(tree, meta);
        JsonNode manifest = new ObjectMapper().readTree(out.resolve(PrepJob.MANIFEST).toFile());
        assertTrue(manifest.get("tasks").has("pets"));
        manifest.get("tasks").get("pets").get("files").fields().forEachRemaining(e ->
                assertTrue(Files.exists(out.resolve("pets").resolve(e.getKey())), e.getKey()));
    }

    /**
     * _task.json accounts for every file of the tree: listed = prepared + quarantined + skipped, each skip reason with
     * its count and its files as examples.
     */
    static void assertAccounted(PrepFixtures.Tree tree, JsonNode meta) {
        long skipped = tree.skipped().values().stream().mapToLong(Set::size).sum();
        assertEquals(tree.good().size() + tree.bad().size() + skipped, meta.get("listed").asLong(), meta.toString());
        assertEquals(tree.good().size(), meta.get("prepared").asInt());
        assertEquals(tree.good().size() + tree.bad().size(), meta.get("records").asInt());
        Map<String, Integer> counts = new java.util.TreeMap<>();
        meta.get("skipped").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        Map<String, Integer> expected = new java.util.TreeMap<>();
        tree.skipped().forEach((reason, files) -> expected.put(reason, files.size()));
        assertEquals(expected, counts);
        tree.skipped().forEach((reason, files) -> {
            Set<String> examples = new java.util.TreeSet<>();
            meta.get("skipped_examples").get(reason).forEach(n -> examples.add(n.asText()));
            assertEquals(files, examples, reason);
        });
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherPicks(@TempDir Path out) throws IOException {
        new PrepJob(spark, config(out.resolve("a"), 7, PrepFixtures.FOLDER_TASK)).run();
        new PrepJob(spark, config(out.resolve("b"), 7, PrepFixtures.FOLDER_TASK)).run();
        new PrepJob(spark, config(out.resolve("c"), 8, PrepFixtures.FOLDER_TASK)).run();
        for (String split : List.of("train", "test", "fewshot", "quarantine")) {
            List<byte[]> a = dataFiles(out.resolve("a/pets").resolve(split));
            List<byte[]> b = dataFiles(out.resolve("b/pets").resolve(split));
            assertEquals(a.size(), b.size(), split);
            assertTrue(a.size() > 0, split);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), split + " file " + i);
            }
        }
        Set<String> picksA = rows(out.resolve("a/pets/fewshot")).stream().map(r -> (String) r.getAs("id")).collect(Collectors.toSet());
        Set<String> picksC = rows(out.resolve("c/pets/fewshot")).stream().map(r -> (String) r.getAs("id")).collect(Collectors.toSet());
        assertNotEquals(picksA, picksC, "another seed must pick other few-shot images");
        JsonNode metaA = new ObjectMapper().readTree(out.resolve("a/pets/_task.json").toFile());
        JsonNode metaB = new ObjectMapper().readTree(out.resolve("b/pets/_task.json").toFile());
        assertEquals(metaA.get("content_hash"), metaB.get("content_hash"));
    }

    /** The parquet files of a directory tree, in path order. */
    static List<byte[]> dataFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".parquet")).sorted().map(p -> {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    @Test
    void manifestsInEveryFormatGiveTheSameShards(@TempDir Path out) throws IOException {
        Path root = data.resolve("folder");
        StringBuilder csv = new StringBuilder("path,label,split\n");
        StringBuilder jsonl = new StringBuilder();
        for (String rel : tree.good()) {
            String[] p = rel.split("/");
            csv.append("folder/").append(rel).append(',').append(p[1]).append(',').append(p[0]).append('\n');
            jsonl.append(String.format("{\"path\": \"folder/%s\", \"label\": \"%s\", \"split\": \"%s\"}%n", rel, p[1], p[0]));
        }
        csv.append("folder/train/cat/huge.png,zebra,train\n");        // unknown label
        csv.append("folder/train/cat/missing.png,cat,train\n");       // unreadable path
        jsonl.append("{\"path\": \"folder/train/cat/huge.png\", \"label\": \"zebra\", \"split\": \"train\"}\n");
        jsonl.append("{\"path\": \"folder/train/cat/missing.png\", \"label\": \"cat\", \"split\": \"train\"}\n");
        Files.writeString(data.resolve("manifest.csv"), csv);
        Files.writeString(data.resolve("manifest.jsonl"), jsonl);
        spark.read().option("header", "true").csv(data.resolve("manifest.csv").toString()).coalesce(1)
                .write().mode("overwrite").parquet(data.resolve("manifest.parquet").toString());
        String tasks = Stream.of("csv", "jsonl", "parquet").map(f -> "{ name = m-" + f + ", source { type = manifest, path = \"manifest." + f
                + "\", format = " + f + " }, classnames = [cat, dog, bird], templates = [\"{}\"] }\n").collect(Collectors.joining());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(out, 42, tasks)).run());
        assertTrue(empty.getMessage().contains("task 'm-csv': 1 of 3 class(es) lack images in a split: 'bird' (label 2) has no train and no test "
                + "images (2 record(s) quarantined") && empty.getMessage().contains("dac.prep.allow-empty-classes = true"), empty.getMessage());
        new PrepJob(spark, config(out, 42, tasks, "allow-empty-classes = true")).run();
        String hash = null;
        for (String f : List.of("csv", "jsonl", "parquet")) {
            JsonNode meta = new ObjectMapper().readTree(out.resolve("m-" + f).resolve("_task.json").toFile());
            assertEquals("[{\"label\":2,\"name\":\"bird\",\"splits\":[\"train\",\"test\"]}]", meta.get("empty_classes").toString(), f);
            assertEquals(tree.good().size() + 2, meta.get("listed").asInt(), f + ": every row listed");
            assertEquals(2, meta.get("quarantined").asInt(), f);
            hash = hash == null ? meta.get("content_hash").asText() : hash;
            assertEquals(hash, meta.get("content_hash").asText(), f + ": same records, same content");
            Map<String, String> reasons = rows(out.resolve("m-" + f).resolve("quarantine")).stream()
                    .collect(Collectors.toMap(r -> r.getAs("source"), r -> r.getAs("reason"), (x, y) -> x + " | " + y));
            assertTrue(reasons.values().stream().anyMatch(r -> r.contains("unknown label 'zebra'")), reasons.toString());
            assertTrue(reasons.entrySet().stream().anyMatch(e -> e.getKey().endsWith("missing.png")
                    && e.getValue().contains("missing.png")), reasons.toString());
        }
    }

    @Test
    void failuresAreClear(@TempDir Path out) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(out, 1,
                "{ name = gone, source { type = image-folder, root = nowhere }, templates = [\"{}\"] }")).run());
        assertTrue(e.getMessage().contains("task 'gone': image-folder root") && e.getMessage().contains("nowhere"), e.getMessage());

        PrepConfig strict = new PrepConfig(out.toUri().toString(), 1, 2, 32, 40, 0.01, 100000, false, 10,
                config(out, 1, PrepFixtures.FOLDER_TASK).tasks());
        e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, strict).run());
        assertTrue(e.getMessage().contains("task 'pets': 5 of 23 records") && e.getMessage().contains("max-bad-fraction"), e.getMessage());
        assertTrue(Files.exists(out.resolve("pets/quarantine")), "the quarantine is written before failing");
        assertTrue(!Files.exists(out.resolve(PrepJob.MANIFEST)), "no manifest for a failed run");

        e = assertThrows(IllegalArgumentException.class, () -> config(out, 1,
                "{ name = x, source { type = folder, root = a }, templates = [\"{}\"] }"));
        assertTrue(e.getMessage().contains("source.type 'folder' is not one of image-folder, manifest, idx, mtil"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(out, 1,
                "{ name = x, source { type = mtil, dataset = Cifar10, root = a }, templates = [\"{}\"] }"));
        assertTrue(e.getMessage().contains("'Cifar10' is not an MTIL dataset; they are [Aircraft, Caltech101"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(out, 1,
                "{ name = x, source { type = mtil, dataset = DTD, root = a }, templates = [\"{}\"], split = official }"));
        assertTrue(e.getMessage().contains("an MTIL dataset is split as the benchmark splits it; remove 'split'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(out, 1,
                "{ name = x, source { type = image-folder, root = a, format = csv }, templates = [\"{}\"] }"));
        assertTrue(e.getMessage().contains("unknown key source.format; a source of type image-folder has [root, type]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(out, 1,
                "{ name = x, source { type = image-folder, root = a }, templates = [\"{}\"], shotz = 3 }"));
        assertTrue(e.getMessage().contains("unknown task key 'shotz'"), e.getMessage());
    }

    @Test
    void everyOddFileIsARecordAQuarantinedRecordOrASkippedFileWithItsReason(@TempDir Path dir) throws Exception {
        PrepFixtures.Tree odd = PrepFixtures.oddTree(dir.resolve("odd"));
        String task = "{ name = odd, source { type = image-folder, root = \"" + odd.root().toUri() + "\" }, templates = [\"{}\"], shots = 3 }";
        // by default a class folder without images, or a class missing from a split, fails the task, naming class and split
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(dir.resolve("strict"), 1, task)).run());
        assertTrue(e.getMessage().contains("task 'odd': 2 of 4 class(es) lack images in a split: 'empty' (label 2) has no train and no test "
                + "images; 'owl' (label 3) has no test images (4 record(s) quarantined"), e.getMessage());

        Path out = dir.resolve("out");
        new PrepJob(spark, config(out, 1, task, "allow-empty-classes = true")).run();
        Map<String, String> written = new HashMap<>();
        for (String split : List.of("train", "test")) {
            rows(out.resolve("odd").resolve(split)).forEach(r -> written.put(r.getAs("id"), split));
        }
        assertEquals(odd.good(), written.keySet(), "the images, the nested one, the symlinked one and the one with ' #%' in its name");
        Map<String, String> reasons = rows(out.resolve("odd/quarantine")).stream()
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r.getAs("reason")));
        assertEquals(odd.bad().keySet(), reasons.keySet());
        odd.bad().forEach((id, fragment) -> assertTrue(reasons.get(id).contains(fragment), id + ": " + reasons.get(id)));
        JsonNode meta = new ObjectMapper().readTree(out.resolve("odd/_task.json").toFile());
        assertAccounted(odd, meta);
        assertEquals("[\"cat\",\"dog\",\"empty\",\"owl\"]", meta.get("classnames").toString());
        assertEquals("[6,3,0,2]", meta.get("counts").get("train").toString());
        assertEquals("[2,2,0,0]", meta.get("counts").get("test").toString());
        assertEquals("[{\"label\":2,\"name\":\"empty\",\"splits\":[\"train\",\"test\"]},{\"label\":3,\"name\":\"owl\",\"splits\":[\"test\"]}]",
                meta.get("empty_classes").toString());
        assertEquals("[{\"label\":2,\"name\":\"empty\",\"train\":0},{\"label\":3,\"name\":\"owl\",\"train\":2}]",
                meta.get("fewshot_short_classes").toString(), "3-shot takes all of a class with fewer, and says so");
        assertEquals("[3,3,0,2]", meta.get("counts").get("fewshot").toString());
    }

    @Test
    void anImageFolderRootWithSplitAndClassFoldersIsRefusedNamingThem(@TempDir Path dir) throws IOException {
        for (String rel : List.of("train/cat/0.png", "test/cat/0.png", "cat/0.png")) {
            PrepFixtures.write(dir.resolve("mixed").resolve(rel), PrepFixtures.image(20, 20, java.awt.Color.RED, "png"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(dir.resolve("out"), 1,
                "{ name = mixed, source { type = image-folder, root = \"" + dir.resolve("mixed").toUri() + "\" }, templates = [\"{}\"] }")).run());
        assertTrue(e.getMessage().contains("task 'mixed'") && e.getMessage().contains("the root's folders are [cat, test, train]"), e.getMessage());
    }

    @Test
    void manifestsNamingAFileTwiceAndMalformedLinesAreRefusedWithTheirRows(@TempDir Path dir) throws IOException {
        Path root = data.resolve("folder").toAbsolutePath();
        Path dups = Files.writeString(dir.resolve("dups.csv"), String.join("\n", "path,label,split",
                root + "/train/cat/0.png,cat,train",
                root + "/test/cat/0.png,cat,test",
                root + "/train/cat/1.png,cat,train",
                root + "/./train/dog/../cat/1.png,cat,test",
                root + "/train/dog/0.jpg,dog,train",
                "file:" + root + "/train/dog/0.jpg,cat,train") + "\n");
        String manifest = "{ name = m, source { type = manifest, path = \"%s\" }, templates = [\"{}\"] }";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PrepJob(spark, config(dir.resolve("out"), 1, manifest.formatted(dups.toUri()))).run());
        String m = e.getMessage();
        assertTrue(m.contains("manifest " + dups.toUri() + " names 2 file(s) more than once"), m);
        assertTrue(m.contains("\n  file:" + root + "/train/cat/1.png: " + dups.toUri() + ":4 (") && m.contains(dups.toUri() + ":5 ("), m);
        assertTrue(m.contains("label cat, split test)"), "a file in train and test: " + m);
        assertTrue(m.contains("\n  file:" + root + "/train/dog/0.jpg: " + dups.toUri() + ":6 (") && m.contains(dups.toUri() + ":7 (file:"), m);
        assertTrue(!m.contains(":2 (") && !m.contains(":3 ("), "files named once are not listed: " + m);

        // relative and absolute paths to one file, from a JSON Lines manifest beside the folder
        Path jsonDups = Files.writeString(data.resolve("dups.jsonl"), "{\"path\": \"folder/train/cat/0.png\", \"label\": \"cat\", \"split\": \"train\"}\n"
                + "{\"path\": \"" + root + "/train/cat/0.png\", \"label\": \"dog\", \"split\": \"train\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(dir.resolve("out"), 1, manifest.formatted(jsonDups.toUri()))).run());
        assertTrue(e.getMessage().contains(jsonDups.toUri() + ":1 (folder/train/cat/0.png, label cat, split train) " + jsonDups.toUri() + ":2 ("),
                e.getMessage());

        Path badJson = Files.writeString(dir.resolve("bad.jsonl"), "{\"path\": \"a.png\", \"label\": \"cat\"}\n\n"
                + "{\"path\": \"b.png\", \"label\": \"cat\" \"split\": \"train\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(dir.resolve("out"), 1, manifest.formatted(badJson.toUri()))).run());
        assertTrue(e.getMessage().startsWith("task 'm': manifest " + badJson.toUri() + ":3: not valid JSON"), e.getMessage());

        Path badCsv = Files.writeString(dir.resolve("bad.csv"), "path,label,split\na.png,cat,train\nb.png,cat\n");
        e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(dir.resolve("out"), 1, manifest.formatted(badCsv.toUri()))).run());
        assertTrue(e.getMessage().startsWith("task 'm': manifest " + badCsv.toUri() + ":3: 2 field(s) [b.png, cat], the header has 3"), e.getMessage());
    }

    static final List<String> DIGITS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

    /** Handwritten-digit folders zero ... nine (sorted: eight, five, four, ...), 2 images each. */
    static Path digitFolders(Path root) throws IOException {
        for (int d = 0; d < 10; d++) {
            for (int i = 0; i < 2; i++) {
                PrepFixtures.write(root.resolve(DIGITS.get(d)).resolve(i + ".png"), PrepFixtures.image(20 + d, 20, java.awt.Color.GRAY, "png"));
            }
        }
        return root;
    }

    @Test
    void classNamesInLabelOrderAreMatchedToTheirFolders(@TempDir Path out) throws IOException {
        Path root = digitFolders(out.resolve("digits"));
        String names = DIGITS.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
        // two images a class, split at random: a split may miss a class
        new PrepJob(spark, config(out.resolve("ok"), 1, "{ name = digits, source { type = image-folder, root = \"" + root.toUri()
                + "\" }, classnames = [" + names + "], templates = [\"{}\"], split { random = 0.5 } }", "allow-empty-classes = true")).run();
        for (String split : List.of("train", "test")) {
            for (Row r : rows(out.resolve("ok/digits").resolve(split))) {
                String folder = ((String) r.getAs("id")).split("/")[0];
                assertEquals(DIGITS.indexOf(folder), (int) r.getAs("label"), r.getAs("id") + ": the label of its folder's name");
            }
        }
        JsonNode labels = new ObjectMapper().readTree(out.resolve("ok/digits/_task.json").toFile()).get("labels");
        assertEquals("{\"label\":2,\"name\":\"two\",\"folder\":\"two\"}", labels.get(2).toString());

        // the same names with one of them not a folder name: by position 'eight' would be named 'zero'; refused, with the table
        String wrong = DIGITS.stream().map(n -> "\"" + (n.equals("nine") ? "9" : n) + "\"").collect(Collectors.joining(", "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PrepJob(spark, config(out.resolve("bad"), 1,
                "{ name = digits, source { type = image-folder, root = \"" + root.toUri() + "\" }, classnames = [" + wrong
                        + "], templates = [\"{}\"], split { random = 0.5 } }")).run());
        assertTrue(e.getMessage().contains("look like the folder names in another order") && e.getMessage().contains("folder -> label -> name")
                && e.getMessage().contains("eight -> 0 -> zero"), e.getMessage());
    }

    @Test
    void torchSplitOfAnImageFolderIsRandomSplitOverImageFolderOrder(@TempDir Path out) throws IOException {
        Path root = out.resolve("six");
        for (String cls : List.of("b", "a")) {
            for (int i = 0; i < 6; i++) {
                PrepFixtures.write(root.resolve(cls).resolve("img" + i + ".png"), PrepFixtures.image(20, 20 + i, java.awt.Color.RED, "png"));
            }
        }
        new PrepJob(spark, config(out.resolve("p"), 1, "{ name = six, source { type = image-folder, root = \"" + root.toUri()
                + "\" }, templates = [\"{}\"], split { random = 0.8, method = torch, seed = 42 } }")).run();
        // ImageFolder order: a/img0..a/img5, b/img0..b/img5; torch.randperm(12, seed 42) = [6, 8, 1, 7, 0, 2, 10, 11, 4 | 3, 5, 9]
        Set<String> test = rows(out.resolve("p/six/test")).stream().map(r -> (String) r.getAs("id")).collect(Collectors.toSet());
        assertEquals(Set.of("a/img3.png", "a/img5.png", "b/img3.png"), test);
        JsonNode meta = new ObjectMapper().readTree(out.resolve("p/six/_task.json").toFile());
        assertTrue(meta.get("split").asText().contains("torch random_split"), meta.get("split").asText());
    }
}
