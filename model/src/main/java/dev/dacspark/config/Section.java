package dev.dacspark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.DoublePredicate;
import java.util.function.Function;

/**
 * One section of {@link Settings} (an object such as {@code dac.train}, or one entry of a list such as
 * {@code dac.prep.tasks[2]}) and the typed readers of its keys. Every error names where the value was set (file:
 * line; left out for a default of reference.conf) and the full key, e.g.
 * {@code run.conf: 3: dac.train.iterations must be positive, got 0}. The range checks of every command are these
 * readers and {@link #check}.
 */
public final class Section {
    private final Settings settings;
    private final String path;
    private final Config config;

    private Section(Settings settings, String path, Config config) {
        this.settings = settings;
        this.path = path;
        this.config = config;
    }

    static Section root(Settings settings, String path, Config merged) {
        return new Section(settings, path, merged.getConfig(path));
    }

    /** The full key of a key of this section. */
    public String key(String k) {
        return path + "." + k;
    }

    /** Where a key was set and its full key, e.g. {@code run.conf: 3: dac.train.lr}: the prefix of an error message. */
    public String at(String k) {
        return location(k) + key(k);
    }

    /** An error about a key: {@code <file: line: >full.key message}. */
    public IllegalArgumentException error(String k, String message) {
        return new IllegalArgumentException(at(k) + " " + message);
    }

    /** An error about a key's value: {@code <file: line: >full.key: message}. */
    public IllegalArgumentException invalid(String k, String message) {
        return new IllegalArgumentException(at(k) + ": " + message);
    }

    /** The folder relative paths are relative to (null: as they are). */
    public Path base() {
        return settings.base();
    }

    // ---- values as they are

    public boolean isNull(String k) {
        ConfigValue v = value(k);
        settings.markRead(key(k));
        return v == null || v.valueType() == ConfigValueType.NULL;
    }

    /** True when the key is set and not null (an optional key of an entry). */
    public boolean has(String k) {
        return !isNull(k);
    }

    public String string(String k) {
        return get(k, Config::getString);
    }

    /** A string that must be set: the error says it is not, and {@code hint} what to set. */
    public String required(String k, String hint) {
        if (isNull(k)) {
            throw new IllegalArgumentException(at(k) + " is not set" + (hint.isEmpty() ? "" : ": " + hint));
        }
        return string(k);
    }

    public long longValue(String k) {
        return get(k, Config::getLong);
    }

    public int intValue(String k) {
        return get(k, Config::getInt);
    }

    public double doubleValue(String k) {
        return get(k, Config::getDouble);
    }

    public boolean bool(String k) {
        return get(k, Config::getBoolean);
    }

    public Duration duration(String k) {
        return get(k, Config::getDuration);
    }

    public List<String> strings(String k) {
        return List.copyOf(get(k, Config::getStringList));
    }

    public List<Integer> ints(String k) {
        return List.copyOf(get(k, Config::getIntList));
    }

    /** A list of strings with at least one. */
    public List<String> nonEmptyStrings(String k) {
        List<String> v = strings(k);
        if (v.isEmpty()) {
            throw error(k, "is empty");
        }
        return v;
    }

    /** A path, relative to {@link #base()} unless absolute. */
    public Path path(String k) {
        Path p = Path.of(string(k));
        return p.isAbsolute() || base() == null ? p : base().resolve(p).normalize();
    }

    /** A path, or null when the key is null. */
    public Path optionalPath(String k) {
        return isNull(k) ? null : path(k);
    }

    /** The value as plain Java objects (maps, lists, numbers, strings), as the run's fingerprint hashes it. */
    public Object unwrapped(String k) {
        return get(k, (c, key) -> c.getValue(key).unwrapped());
    }

    public ConfigValueType type(String k) {
        return get(k, (c, key) -> c.getValue(key).valueType());
    }

    /** A sub-object as a raw Config, read by another reader (e.g. ClipConfig's); every key under it counts as read. */
    public Config config(String k) {
        Config c = get(k, Config::getConfig);
        c.entrySet().forEach(e -> settings.markRead(key(k) + "." + e.getKey()));
        return c;
    }

    // ---- ranges

    /** A value that must satisfy a rule: the error is {@code key must be <rule>, got <value>}. */
    public <T> T check(String k, T value, boolean ok, String rule) {
        if (!ok) {
            throw error(k, "must be " + rule + ", got " + value);
        }
        return value;
    }

    /** An int of at least 1. */
    public int positiveInt(String k) {
        int v = intValue(k);
        return check(k, v, v >= 1, "positive");
    }

    public int intAtLeast(String k, int min) {
        int v = intValue(k);
        return check(k, v, v >= min, ">= " + min);
    }

    /** An int in [min, max]; {@code maxName} says where max comes from (e.g. "rank=12"). */
    public int intIn(String k, int min, int max, String maxName) {
        int v = intValue(k);
        return check(k, v, v >= min && v <= max, "in [" + min + ", " + maxName + "]");
    }

    /** A number in [min, max]; {@code maxName} says where max comes from (e.g. "lr = 0.002"). */
    public double doubleIn(String k, double min, double max, String maxName) {
        double v = doubleValue(k);
        return check(k, v, v >= min && v <= max, "in [" + min + ", " + maxName + "]");
    }

    public long positiveLong(String k) {
        long v = longValue(k);
        return check(k, v, v >= 1, "positive");
    }

    /** A number greater than 0 (a learning rate, eps). */
    public double positive(String k) {
        double v = doubleValue(k);
        return check(k, v, v > 0, "> 0");
    }

    public double nonNegative(String k) {
        double v = doubleValue(k);
        return check(k, v, v >= 0, ">= 0");
    }

    /** A number in [0, 1]. */
    public double fraction(String k) {
        double v = doubleValue(k);
        return check(k, v, v >= 0 && v <= 1, "in [0, 1]");
    }

    /** A number in [0, 1) (a dropout probability, an Adam beta). */
    public double probability(String k) {
        double v = doubleValue(k);
        return check(k, v, v >= 0 && v < 1, "in [0, 1)");
    }

    // ---- choices

    /** A string read by a parser of its own (e.g. a dataset name); the parser's error gets the file, line and key. */
    public <T> T parsed(String k, Function<String, T> parser) {
        String v = string(k);
        try {
            return parser.apply(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at(k) + ": " + e.getMessage(), e);
        }
    }

    /** One of an enum's constants, written lower case with '-' for '_' ({@code top-merged} is TOP_MERGED). */
    public <E extends Enum<E>> E choice(String k, Class<E> type) {
        return choice(k, string(k), type);
    }

    /** A list of an enum's constants, as {@link #choice}. */
    public <E extends Enum<E>> List<E> choices(String k, Class<E> type) {
        List<E> out = new ArrayList<>();
        for (String s : strings(k)) {
            out.add(choice(k, s, type));
        }
        return List.copyOf(out);
    }

    private <E extends Enum<E>> E choice(String k, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (id(e).equals(value.toLowerCase(Locale.ROOT).replace('_', '-'))) {
                return e;
            }
        }
        throw invalid(k, "unknown value '" + value + "'; expected one of "
                + Arrays.stream(type.getEnumConstants()).map(Section::id).toList());
    }

    /** How a config writes an enum constant: {@code TOP_MERGED} is {@code top-merged}. */
    public static String id(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    // ---- sections

    public Section section(String k) {
        return new Section(settings, key(k), get(k, Config::getConfig));
    }

    /**
     * The entries of a list of objects ({@code kind} entries: "task"), each a section named {@code key[i]} that
     * may hold only {@code keys}.
     */
    public List<Section> entries(String k, String kind, Set<String> keys) {
        List<? extends Config> list = get(k, Config::getConfigList);
        List<Section> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Section entry = new Section(settings, key(k) + "[" + i + "]", list.get(i));
            entry.refuseKeysOtherThan(keys, kind);
            out.add(entry);
        }
        return out;
    }

    /** Refuses a key of this section outside {@code keys}: {@code unknown <kind> key 'k'; a <kind> has [...]}. */
    public void refuseKeysOtherThan(Set<String> keys, String kind) {
        String unknown = keyOtherThan(keys);
        if (unknown != null) {
            throw invalid(unknown, "unknown " + kind + " key '" + unknown + "'; a " + kind + " has " + new TreeSet<>(keys));
        }
    }

    /** The first key of this section outside {@code keys}, or null. */
    public String keyOtherThan(Set<String> keys) {
        for (String k : new TreeSet<>(config.root().keySet())) {
            if (!keys.contains(k)) {
                return k;
            }
        }
        return null;
    }

    /** A map of names to numbers (e.g. dac.job.task-lr), sorted by name, each satisfying {@code ok} ({@link #check}). */
    public Map<String, Double> numbers(String k, DoublePredicate ok, String rule) {
        Section map = section(k);
        Map<String, Double> out = new TreeMap<>();
        for (String name : map.config.root().keySet()) {
            double v = map.doubleValue(ConfigUtil.joinPath(name));
            out.put(name, map.check(ConfigUtil.joinPath(name), v, ok.test(v), rule));
        }
        return out;
    }

    // ---- plumbing

    private <T> T get(String k, BiFunction<Config, String, T> getter) {
        settings.markRead(key(k));
        try {
            return getter.apply(config, k);
        } catch (ConfigException.Missing e) {
            throw new IllegalArgumentException(at(k) + " is not set", e);
        } catch (ConfigException e) {
            String message = e.getMessage();
            String origin = e.origin() == null ? null : e.origin().description() + ": ";
            throw new IllegalArgumentException(at(k) + ": " + (origin != null && message.startsWith(origin)
                    ? message.substring(origin.length()) : message), e);
        }
    }

    /** The value at a key of this section, null values included; null when absent. */
    private ConfigValue value(String k) {
        ConfigValue v = config.root();
        for (String element : ConfigUtil.splitPath(k)) {
            if (!(v instanceof ConfigObject o) || !o.containsKey(element)) {
                return null;
            }
            v = o.get(element);
        }
        return v;
    }

    /** {@code file: line: } of the value at a key (of this section when the key is absent); empty for a default. */
    private String location(String k) {
        ConfigValue v = value(k);
        var origin = v != null ? v.origin() : config.origin();
        return "reference.conf".equals(origin.resource()) ? "" : origin.description() + ": ";
    }
}
