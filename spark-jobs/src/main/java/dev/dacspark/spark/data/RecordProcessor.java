package dev.dacspark.spark.data;

import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.RgbImage;
import dev.dacspark.data.Seeds;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The executor side of the prep job: for each raw record, resolve its label, read its bytes,
 * decode, assign its split, transform (test: resize and centre crop to the resolution; train:
 * shrink the shorter side), encode PNG. A record that fails any step, or that the listing could not
 * make readable, comes out with a reason instead of an image, to be quarantined; nothing is dropped silently.
 */
final class RecordProcessor implements MapPartitionsFunction<Row, Row> {
    /** Raw records, as the driver lists them. */
    static final StructType RAW = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("path", DataTypes.StringType, true)        // a file URI, or null for inline pixels
            .add("pixels", DataTypes.BinaryType, true)      // inline 8-bit pixels (IDX, CIFAR), interleaved, or null
            .add("width", DataTypes.IntegerType, true)
            .add("height", DataTypes.IntegerType, true)
            .add("channels", DataTypes.IntegerType, true)   // of inline pixels: 1 (grey) or 3 (RGB)
            .add("label", DataTypes.IntegerType, true)      // label index, or null to resolve from class
            .add("class", DataTypes.StringType, true)       // class name (manifests with named labels)
            .add("split", DataTypes.StringType, true)       // official split, or null
            .add("problem", DataTypes.StringType, true);    // why the listing could not make a readable record, or null

    /**
     * A raw record: an id, a file URI or inline 8-bit pixels (interleaved, 1 or 3 channels), a label index or a class
     * name to resolve, an official split or null, and the listing's problem with it (a quarantine reason) or null.
     */
    static Row raw(String id, String path, byte[] pixels, int width, int height, int channels, Integer label, String className,
            String split, String problem) {
        return RowFactory.create(id, path, pixels, pixels == null ? null : width, pixels == null ? null : height,
                pixels == null ? null : channels, label, className, split, problem);
    }

    /** Processed records: an image, or a reason for quarantine. */
    static final StructType PROCESSED = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("label", DataTypes.IntegerType, true)
            .add("split", DataTypes.StringType, true)
            .add("image", DataTypes.BinaryType, true)       // PNG
            .add("width", DataTypes.IntegerType, true)
            .add("height", DataTypes.IntegerType, true)
            .add("content_hash", DataTypes.LongType, true)  // of (id, label, split, image)
            .add("shard_key", DataTypes.LongType, false)    // seeded order for shard and few-shot assignment
            .add("source", DataTypes.StringType, true)      // path or id, for quarantine
            .add("reason", DataTypes.StringType, true);     // null when the record is good

    private final String task;
    private final List<String> classNames;
    private final Double hashTrainFraction;
    private final long seed;
    private final int resolution;
    private final int trainShortSide;
    private final long maxPixels;
    private final SerializableConfiguration hadoop;
    private final LongAccumulator processed;
    private final LongAccumulator quarantined;

    /** hashTrainFraction: the train fraction of a hash split for records listed without a split, else null. */
    RecordProcessor(String task, List<String> classNames, Double hashTrainFraction, long seed, int resolution, int trainShortSide,
            long maxPixels, Configuration hadoop, LongAccumulator processed, LongAccumulator quarantined) {
        this.task = task;
        this.classNames = List.copyOf(classNames);
        this.hashTrainFraction = hashTrainFraction;
        this.seed = seed;
        this.resolution = resolution;
        this.trainShortSide = trainShortSide;
        this.maxPixels = maxPixels;
        this.hadoop = new SerializableConfiguration(hadoop);
        this.processed = processed;
        this.quarantined = quarantined;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        ClipImageProcessor eval = new ClipImageProcessor(ClipImageProcessor.Config.clip(resolution));
        Map<String, Integer> labelOf = new HashMap<>();
        for (int i = 0; i < classNames.size(); i++) {
            labelOf.put(classNames.get(i), i);
        }
        return new Iterator<>() { // lazy: one image in memory at a time
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row result = process(rows.next(), eval, labelOf);
                processed.add(1);
                if (result.isNullAt(PROCESSED.fieldIndex("image"))) {
                    quarantined.add(1);
                }
                return result;
            }
        };
    }

    private Row process(Row r, ClipImageProcessor eval, Map<String, Integer> labelOf) {
        String id = r.getString(0);
        String path = r.isNullAt(1) ? null : r.getString(1);
        String source = path != null ? path : id;
        long shardKey = Seeds.mix(seed, Seeds.of(task), Seeds.of(id), 1);
        String split = r.isNullAt(8) ? null : r.getString(8);
        if (!r.isNullAt(9)) {
            return bad(id, split, shardKey, source, r.getString(9));
        }
        Integer label = r.isNullAt(6) ? null : r.getInt(6);
        String className = r.isNullAt(7) ? null : r.getString(7);
        if (label == null && className != null) {
            label = labelOf.get(className);
            if (label == null) {
                return bad(id, split, shardKey, source, "unknown label '" + className + "' (not among the task's " + classNames.size() + " class names)");
            }
        }
        if (label == null || label < 0 || label >= classNames.size()) {
            return bad(id, split, shardKey, source, "unknown label " + label + " (the task has " + classNames.size() + " classes)");
        }
        if (split == null) {
            if (hashTrainFraction == null) {
                return bad(id, null, shardKey, source, "no split: the source gives none and the task's split policy is 'official'");
            }
            double u = (Seeds.mix(seed, Seeds.of(task), Seeds.of(id), 0) >>> 11) * 0x1.0p-53;
            split = u < hashTrainFraction ? "train" : "test";
        } else if (!split.equals("train") && !split.equals("test")) {
            return bad(id, split, shardKey, source, "unknown split '" + split + "' (train or test)");
        }
        RgbImage image;
        try {
            image = path != null ? RgbImage.decode(readFile(path), path, maxPixels) : inline(r);
        } catch (IllegalArgumentException | IOException e) {
            return bad(id, split, shardKey, source, e.getMessage());
        }
        RgbImage stored = split.equals("test") ? eval.evalImage(image) : ClipImageProcessor.shrinkShorterSide(image, trainShortSide);
        byte[] png = stored.encodePng();
        return RowFactory.create(id, label, split, png, stored.width(), stored.height(), contentHash(id, label, split, png),
                shardKey, source, null);
    }

    private Row bad(String id, String split, long shardKey, String source, String reason) {
        return RowFactory.create(id, null, split, null, null, null, null, shardKey, source, reason);
    }

    private byte[] readFile(String uri) throws IOException {
        Path p = new Path(URI.create(uri));
        FileSystem fs = p.getFileSystem(hadoop.value());
        FileStatus st = fs.getFileStatus(p);
        if (st.getLen() == 0) {
            throw new IllegalArgumentException(uri + ": empty file (0 bytes)");
        }
        if (st.getLen() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(uri + ": file of " + st.getLen() + " bytes is too large for an image");
        }
        byte[] bytes = new byte[(int) st.getLen()];
        try (FSDataInputStream in = fs.open(p)) {
            in.readFully(0, bytes);
        }
        return bytes;
    }

    /** Inline 8-bit pixels, grey (IDX) or interleaved RGB (CIFAR), as RGB. */
    private static RgbImage inline(Row r) {
        byte[] p = (byte[]) r.get(2);
        int w = r.getInt(3);
        int h = r.getInt(4);
        int channels = r.getInt(5);
        if (channels == 3) {
            return new RgbImage(w, h, p);
        }
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            rgb[3 * i] = p[i];
            rgb[3 * i + 1] = p[i];
            rgb[3 * i + 2] = p[i];
        }
        return new RgbImage(w, h, rgb);
    }

    static long contentHash(String id, int label, String split, byte[] png) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(id.getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(4).putInt(label).array());
            sha.update(split.getBytes(StandardCharsets.UTF_8));
            sha.update(png);
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
