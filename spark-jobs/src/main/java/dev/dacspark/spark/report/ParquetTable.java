package dev.dacspark.spark.report;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A small Parquet table written by Spark (a folder of part files), read whole through the Hadoop FileSystem API
 * (file://, hdfs://, s3a://) without starting Spark. Rows give typed values by column name, with errors that name
 * the table and the column.
 */
public final class ParquetTable {
    private ParquetTable() {}

    /** One row of a table. */
    public static final class Row {
        private final Path table;
        private final Group group;

        private Row(Path table, Group group) {
            this.table = table;
            this.group = group;
        }

        public String string(String column) {
            require(column, PrimitiveTypeName.BINARY);
            return group.getString(column, 0);
        }

        /** A string column that tables written before it existed lack: {@code absent} for those. */
        public String stringOr(String column, String absent) {
            return group.getType().containsField(column) ? string(column) : absent;
        }

        public int integer(String column) {
            require(column, PrimitiveTypeName.INT32, PrimitiveTypeName.INT64);
            return type(column) == PrimitiveTypeName.INT32 ? group.getInteger(column, 0) : Math.toIntExact(group.getLong(column, 0));
        }

        public long longInteger(String column) {
            require(column, PrimitiveTypeName.INT32, PrimitiveTypeName.INT64);
            return type(column) == PrimitiveTypeName.INT32 ? group.getInteger(column, 0) : group.getLong(column, 0);
        }

        public boolean bool(String column) {
            require(column, PrimitiveTypeName.BOOLEAN);
            return group.getBoolean(column, 0);
        }

        /** A number column (double, float or integer) that must not be null. */
        public double number(String column) {
            Double v = nullableNumber(column);
            if (v == null) {
                throw new IllegalArgumentException(table + ": column '" + column + "' is null in a row where a value is needed");
            }
            return v;
        }

        /** A number column (double, float or integer), null when the row has no value. */
        public Double nullableNumber(String column) {
            require(column, PrimitiveTypeName.DOUBLE, PrimitiveTypeName.FLOAT, PrimitiveTypeName.INT32, PrimitiveTypeName.INT64);
            if (group.getFieldRepetitionCount(column) == 0) {
                return null;
            }
            return switch (type(column)) {
                case DOUBLE -> group.getDouble(column, 0);
                case FLOAT -> (double) group.getFloat(column, 0);
                case INT32 -> (double) group.getInteger(column, 0);
                default -> (double) group.getLong(column, 0);
            };
        }

        private PrimitiveTypeName type(String column) {
            return group.getType().getType(column).asPrimitiveType().getPrimitiveTypeName();
        }

        private void require(String column, PrimitiveTypeName... accepted) {
            GroupType schema = group.getType();
            if (!schema.containsField(column)) {
                List<String> names = schema.getFields().stream().map(Type::getName).toList();
                throw new IllegalArgumentException(table + ": no column '" + column + "' (columns: " + String.join(", ", names) + ")");
            }
            Type t = schema.getType(column);
            if (t.isPrimitive()) {
                for (PrimitiveTypeName a : accepted) {
                    if (t.asPrimitiveType().getPrimitiveTypeName() == a) {
                        return;
                    }
                }
            }
            throw new IllegalArgumentException(table + ": column '" + column + "' has type " + t + ", expected one of "
                    + List.of(accepted));
        }
    }

    /** Every row of the table in the folder (or file) {@code path}. */
    public static List<Row> read(Path path, Configuration hadoop) {
        List<Row> rows = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), path).withConf(hadoop).build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) {
                rows.add(new Row(path, g));
            }
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(path + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Parquet table " + path + ": " + e.getMessage(), e);
        }
        return rows;
    }
}
