package dev.dacspark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one loader of every command's config: a HOCON file (or a {@link Config} built in code) merged over the
 * {@code reference.conf} files on the class path, where every default lives, and resolved. A key under
 * {@code dac} that no reference.conf declares is refused with its file and line; lists of entries (tasks) are
 * checked by {@link Section#entries}. Sections are read through {@link Section}'s typed readers, which name the
 * file, line and full key in every error. Relative paths are relative to {@link #base()}, the config file's
 * folder.
 */
public final class Settings {
    /** The namespace of our keys; others (spark, substitution variables) are the user's own. */
    private static final String ROOT = "dac";

    private final Config user;
    private final Config merged;
    private final Path base;
    private final Set<String> read = Collections.synchronizedSet(new TreeSet<>());

    private Settings(Config user, Config merged, Path base) {
        this.user = user;
        this.merged = merged;
        this.base = base;
    }

    /** Parses a config file; {@code what} names it in the error when it does not exist ("run config"). */
    public static Config parse(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " " + file + " does not exist");
        }
        try {
            return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A config file over the defaults, relative paths relative to its folder. */
    public static Settings load(Path file, String what) {
        return of(parse(file, what), folder(file));
    }

    /** The folder a config file's relative paths are relative to. */
    public static Path folder(Path file) {
        return file.toAbsolutePath().getParent();
    }

    /** The defaults alone: reference.conf. */
    public static Settings defaults() {
        return of(ConfigFactory.empty(), null);
    }

    /** User settings (without the defaults) whose relative paths are relative to {@code base} (null: as they are). */
    public static Settings of(Config user, Path base) {
        Config reference = ConfigFactory.defaultReference();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            List<String> key = ConfigUtil.splitPath(e.getKey());
            if (key.get(0).equals(ROOT) && !declared(key, reference.root())) {
                throw new IllegalArgumentException(e.getValue().origin().description() + ": unknown key '" + e.getKey() + "'");
            }
        }
        try {
            Config merged = user.withFallback(reference).resolve();
            merged.checkValid(reference, ROOT);
            return new Settings(user, merged, base);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * True when reference.conf declares the key, or a value above it whose keys the user names: a list (its
     * entries are checked when read), an empty object (a map, such as dac.job.task-lr) or null (dac.pretrain.model,
     * an architecture that ClipConfig checks).
     */
    private static boolean declared(List<String> key, ConfigObject reference) {
        ConfigValue v = reference;
        for (int i = 0; i < key.size(); i++) {
            if (!(v instanceof ConfigObject o) || !o.containsKey(key.get(i))) {
                return false;
            }
            v = o.get(key.get(i));
            boolean open = v.valueType() == ConfigValueType.NULL || v.valueType() == ConfigValueType.LIST
                    || v instanceof ConfigObject child && child.isEmpty();
            if (open) {
                return true;
            }
        }
        return true;
    }

    /** The user's settings, without the defaults (what a sweep varies per run). */
    public Config user() {
        return user;
    }

    /** The section at a path, e.g. {@code dac.prep}. */
    public Section section(String path) {
        return Section.root(this, path, merged);
    }

    /** The folder relative paths are relative to; null when paths are taken as they are. */
    public Path base() {
        return base;
    }

    /** Where the user's config sets a key (file: line), or null when it does not set it. */
    public String whereSet(String key) {
        return user.hasPath(key) ? user.getValue(key).origin().description() : null;
    }

    /** Every full key a typed reader has read so far (the coverage test compares them with reference.conf). */
    public Set<String> keysRead() {
        synchronized (read) {
            return Set.copyOf(read);
        }
    }

    void markRead(String key) {
        read.add(key);
    }
}
