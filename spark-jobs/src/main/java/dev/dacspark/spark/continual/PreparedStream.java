package dev.dacspark.spark.continual;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.spark.train.TrainTaskSpec;
import org.apache.hadoop.conf.Configuration;


import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The prep job's output as the train job reads it: the tasks in order (from {@code _manifest.json},
 * written last by prep, so its presence means a complete output), each with its class names,
 * templates and Parquet shards per split (from {@code _task.json}). Checked up front: a missing file
 * fails here, before any training, naming it.
 */
public record PreparedStream(String uri, List<Task> tasks) {
    /**
     * One prepared task: splits -> shard index -> file URIs, and {@code dataSha256}, the identity of its content: the
     * SHA-256 of what {@code _task.json} says of it that training and scoring read (the records' content hash, class
     * names, templates, counts per split and class, shots, preprocessing). Preparing the same source again gives the
     * same identity (the Parquet part names differ, the content does not); other images, labels or names do not.
     */
    public record Task(int index, String name, List<String> classNames, List<String> templates,
            Map<String, Map<Integer, List<String>>> shards, String dataSha256) {

        public boolean has(String split) {
            return shards.containsKey(split) && !shards.get(split).isEmpty();
        }

        /** Every file of a split, in shard order. */
        public List<String> files(String split) {
            List<String> all = new ArrayList<>();
            shards.getOrDefault(split, Map.of()).values().forEach(all::addAll);
            return all;
        }

        /** The split's shards (per shard, its files) for W ranks; the shards must split evenly over them. */
        public TrainTaskSpec.Data trainingData(String split, int ranks) {
            Map<Integer, List<String>> bySplit = shards.getOrDefault(split, Map.of());
            int count = bySplit.size();
            if (count == 0 || count % ranks != 0) {
                throw new IllegalArgumentException("task '" + name + "': its " + split + " split has " + count + " shard(s), which "
                        + "do not split evenly over dac.job.workers = " + ranks + "; prepare the data with dac.prep.workers = "
                        + ranks + " (or a multiple)");
            }
            List<List<String>> files = new ArrayList<>();
            for (int s = 0; s < count; s++) {
                if (!bySplit.containsKey(s)) {
                    throw new IllegalArgumentException("task '" + name + "': its " + split + " split has no shard " + s + " of 0.." + (count - 1));
                }
                files.add(List.copyOf(bySplit.get(s)));
            }
            return new TrainTaskSpec.Data(files, ranks);
        }
    }

    public List<String> names() {
        return tasks.stream().map(Task::name).toList();
    }

    /** Reads and checks the prep output at {@code uri}. */
    public static PreparedStream read(String uri, Configuration hadoop) {
        JsonNode manifest = Storage.readJson(uri + "/" + PrepJob.MANIFEST, hadoop);
        if (manifest == null) {
            throw new IllegalArgumentException("dac.job.data: " + uri + "/" + PrepJob.MANIFEST + " does not exist; run prep first "
                    + "(prep writes its manifest last, so a missing manifest also means an unfinished prep)");
        }
        List<Task> tasks = new ArrayList<>();
        Iterator<String> names = manifest.get("tasks").fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            String dir = uri + "/" + name;
            JsonNode meta = Storage.readJson(dir + "/" + PrepJob.TASK_METADATA, hadoop);
            if (meta == null) {
                throw new IllegalArgumentException("dac.job.data: task '" + name + "' is listed by " + uri + "/" + PrepJob.MANIFEST
                        + " but " + dir + "/" + PrepJob.TASK_METADATA + " is missing");
            }
            Set<String> present = Storage.listFiles(dir, "", hadoop).keySet();
            Map<String, Map<Integer, List<String>>> shards = new TreeMap<>();
            Iterator<String> files = meta.get("files").fieldNames();
            while (files.hasNext()) {
                String rel = files.next();
                if (!present.contains(rel)) {
                    throw new IllegalArgumentException("dac.job.data: task '" + name + "': " + dir + "/" + rel
                            + " is listed by its " + PrepJob.TASK_METADATA + " but missing");
                }
                String[] parts = rel.split("/");
                if (parts.length == 3 && parts[1].startsWith("shard=")) {
                    shards.computeIfAbsent(parts[0], k -> new TreeMap<>())
                            .computeIfAbsent(Integer.parseInt(parts[1].substring("shard=".length())), k -> new ArrayList<>())
                            .add(dir + "/" + rel);
                }
            }
            List<String> classNames = new ArrayList<>();
            meta.get("classnames").forEach(n -> classNames.add(n.asText()));
            List<String> templates = new ArrayList<>();
            meta.get("templates").forEach(n -> templates.add(n.asText()));
            Task task = new Task(tasks.size(), name, List.copyOf(classNames), List.copyOf(templates), shards, identity(meta));
            if (!task.has("test")) {
                throw new IllegalArgumentException("dac.job.data: task '" + name + "' has no test split under " + dir);
            }
            tasks.add(task);
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("dac.job.data: " + uri + "/" + PrepJob.MANIFEST + " lists no task");
        }
        return new PreparedStream(uri, List.copyOf(tasks));
    }

    /** The fields of {@code _task.json} that make a task's identity ({@link Task#dataSha256}). */
    private static final List<String> IDENTITY = List.of("content_hash", "classnames", "labels", "templates", "counts", "shots",
            "split", "preprocessing");

    private static String identity(JsonNode meta) {
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        IDENTITY.forEach(k -> fields.put(k, meta.get(k)));
        return CanonicalJson.sha256(fields);
    }

    /** Task name -> {@link Task#dataSha256}, in stream order. */
    public Map<String, String> dataSha256() {
        Map<String, String> m = new LinkedHashMap<>();
        tasks.forEach(t -> m.put(t.name(), t.dataSha256()));
        return m;
    }
}
