package dev.dacspark.spark.data.mtil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.spark.data.DatasetFolder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Food-101 (torchvision Food101): {@code meta/train.json} and {@code meta/test.json} map each class
 * to its images ({@code <class>/<name>}, without {@code .jpg}); samples in the file's order (its
 * classes in file order, each class's list in order), classes the json's keys sorted.
 */
final class Food101 implements MtilReader {
    @Override
    public List<String> requiredFiles() {
        return List.of("meta/train.json", "meta/test.json", "images/");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        Map<String, JsonNode> meta = new LinkedHashMap<>();
        Map<String, List<String>> classes = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String file = "meta/" + split + ".json";
            sources.put(split, folder.uri(file));
            JsonNode json;
            try {
                json = new ObjectMapper().readTree(folder.read(file));
            } catch (IOException e) {
                throw new IllegalArgumentException(folder.uri(file) + ": not valid JSON (" + e.getMessage() + ")", e);
            }
            if (json == null || !json.isObject()) {
                throw new IllegalArgumentException(folder.uri(file) + ": expected a JSON object of class -> list of images");
            }
            List<String> keys = new ArrayList<>();
            json.fieldNames().forEachRemaining(keys::add);
            keys.sort(DatasetFolder.PYTHON_ORDER);
            meta.put(split, json);
            classes.put(split, keys);
        }
        Readers.sameClasses(classes.get("train"), classes.get("test"), sources.get("train"), sources.get("test"));
        List<String> names = classes.get("train");
        List<MtilSample> samples = new ArrayList<>();
        meta.forEach((split, json) -> {
            for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isArray()) {
                    throw new IllegalArgumentException(sources.get(split) + ": class '" + e.getKey() + "' maps to "
                            + e.getValue().getNodeType() + ", not a list of images");
                }
                int label = names.indexOf(e.getKey());
                for (JsonNode image : e.getValue()) {
                    samples.add(MtilSample.file("images/" + image.asText() + ".jpg", label, split));
                }
            }
        });
        return new MtilListing(Readers.underlineToSpace(names), names, samples, sources, "official train / test");
    }
}
