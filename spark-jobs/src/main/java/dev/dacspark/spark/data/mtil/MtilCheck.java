package dev.dacspark.spark.data.mtil;

import dev.dacspark.clip.RgbImage;
import dev.dacspark.spark.data.DatasetFolder;
import org.apache.hadoop.conf.Configuration;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Checks a user's copy of the MTIL datasets before any job: per dataset, whether its folder is
 * there, the files its reader needs, class count and train / test counts against the official
 * release, images the splits list but the folder lacks, and a sample of images decoded.
 */
public final class MtilCheck {
    private MtilCheck() {}

    /** One dataset's findings; {@code problems} empty means the copy is as the benchmark needs it. */
    public record Result(MtilDataset dataset, String uri, boolean present, int classes, long train, long test, int sampled,
            int unreadable, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Checks each dataset's folder under {@code root}, decoding up to {@code sample} images of each. */
    public static List<Result> run(String root, List<MtilDataset> datasets, int sample, Configuration hadoop, Consumer<String> progress) {
        List<Result> results = new ArrayList<>();
        for (MtilDataset d : datasets) {
            progress.accept("checking " + d.key + " in " + d.folderUnder(root));
            results.add(check(d, new DatasetFolder(d.folderUnder(root), hadoop), sample));
        }
        return results;
    }

    static Result check(MtilDataset d, DatasetFolder folder, int sample) {
        List<String> problems = new ArrayList<>();
        if (!folder.isDirectory("")) {
            problems.add("missing: no folder " + folder.root() + " (the dataset as distributed: " + d.folder + " under the root)");
            return new Result(d, folder.root(), false, 0, 0, 0, 0, 0, problems);
        }
        for (String f : d.missingFiles(folder)) {
            problems.add("missing file " + folder.uri(f) + " (the reader needs it)");
        }
        if (!problems.isEmpty()) {
            return new Result(d, folder.root(), true, 0, 0, 0, 0, 0, problems);
        }
        MtilListing listing;
        try {
            listing = d.read(folder);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            problems.add("unreadable: " + e.getMessage());
            return new Result(d, folder.root(), true, 0, 0, 0, 0, 0, problems);
        }
        int classes = listing.classIds().size();
        long train = listing.count("train");
        long test = listing.count("test");
        if (classes != d.classes) {
            problems.add(classes + " classes, the official release has " + d.classes);
        }
        if (train != d.train) {
            problems.add("train: " + train + " samples, the official release has " + d.train + " (from " + listing.splitSources().get("train") + ")");
        }
        if (test != d.test) {
            problems.add("test: " + test + " samples, the official release has " + d.test + " (from " + listing.splitSources().get("test") + ")");
        }
        List<MtilSample> files = listing.samples().stream().filter(s -> s.file() != null).toList();
        int sampled = 0;
        int unreadable = 0;
        if (!files.isEmpty()) {
            // a reader that listed the folder found its files there: listing it again (108,754 files for SUN397) finds none missing
            Set<String> present = d.listsItsFiles() ? null : new HashSet<>(folder.files(""));
            List<String> candidates = files.stream().map(MtilSample::file).filter(f -> present == null || present.contains(f)).toList();
            if (candidates.size() < files.size()) {
                List<String> absent = files.stream().map(MtilSample::file).filter(f -> !present.contains(f)).toList();
                problems.add(absent.size() + " image(s) that the splits list are missing, e.g. "
                        + absent.subList(0, Math.min(3, absent.size())).stream().map(folder::uri).toList());
            }
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < Math.min(sample, candidates.size()); i++) {
                String f = candidates.get((int) ((long) i * candidates.size() / Math.min(sample, candidates.size())));
                sampled++;
                try {
                    RgbImage.decode(folder.read(f), folder.uri(f), RgbImage.MAX_PIXELS);
                } catch (IllegalArgumentException | UncheckedIOException e) {
                    unreadable++;
                    bad.add(e.getMessage());
                }
            }
            if (unreadable > 0) {
                problems.add(unreadable + " of " + sampled + " sampled images are unreadable, e.g. " + bad.get(0));
            }
        }
        return new Result(d, folder.root(), true, classes, train, test, sampled, unreadable, problems);
    }

    /** The results as one table, then the problems, one per line. */
    public static String format(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        String row = "%-13s %-8s %7s %7s %7s %11s %10s %s%n";
        sb.append(String.format(Locale.ROOT, row, "dataset", "folder", "classes", "train", "test", "official", "unreadable", "result"));
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, row, r.dataset().key, r.present() ? "present" : "MISSING",
                    r.present() ? Integer.toString(r.classes()) : "-", r.present() ? Long.toString(r.train()) : "-",
                    r.present() ? Long.toString(r.test()) : "-", r.dataset().train + "/" + r.dataset().test,
                    r.unreadable() + "/" + r.sampled(), r.ok() ? "ok" : "PROBLEMS"));
        }
        List<String> all = new ArrayList<>();
        for (Result r : results) {
            r.problems().forEach(p -> all.add(r.dataset().key + ": " + p));
        }
        sb.append(all.isEmpty() ? "all " + results.size() + " datasets are as the benchmark needs them\n"
                : all.size() + " problem(s):\n  " + String.join("\n  ", all) + "\n");
        return sb.toString();
    }
}
