package dev.dacspark.spark.train;

import dev.dacspark.clip.RgbImage;
import dev.dacspark.data.Sample;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads a rank's shard of prepared data (the prep job's Parquet files: id, label, PNG image) inside
 * a task, without Spark SQL, through the Hadoop FileSystem API. Samples come back in id order.
 */
public final class ShardReader {
    private ShardReader() {}

    public static List<Sample> read(List<String> files, Configuration hadoop) {
        List<Sample> out = new ArrayList<>();
        for (String file : files) {
            try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(URI.create(file)))
                    .withConf(hadoop).build()) {
                Group g;
                while ((g = reader.read()) != null) {
                    String id = g.getString("id", 0);
                    int label = g.getInteger("label", 0);
                    byte[] png = g.getBinary("image", 0).getBytes();
                    out.add(new Sample(id, label, () -> RgbImage.decode(png, file + "#" + id)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read shard file " + file + ": " + e.getMessage(), e);
            }
        }
        out.sort(Comparator.comparing(Sample::id));
        return out;
    }
}
