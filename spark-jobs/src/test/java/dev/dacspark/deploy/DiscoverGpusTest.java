package dev.dacspark.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** deploy/gpu/discover-gpus.sh against a fake nvidia-smi on PATH with 0, 1 and 4 GPUs. */
class DiscoverGpusTest {
    @TempDir
    Path dir;

    /** A fake nvidia-smi that answers only the query the script must make, like the real one on a node with n GPUs. */
    private Path fakeNvidiaSmi(int gpus) {
        Path bin = dir.resolve("bin-" + gpus);
        Scripts.executable(bin.resolve("nvidia-smi"), """
                #!/bin/sh
                [ "$*" = "--query-gpu=index --format=csv,noheader" ] || { echo "unexpected arguments: $*" >&2; exit 2; }
                [ %1$d -gt 0 ] || { echo "No devices were found"; exit 6; }
                i=0; while [ $i -lt %1$d ]; do echo $i; i=$((i+1)); done
                """.formatted(gpus));
        return bin;
    }

    /** The addresses printed with the fake for {@code gpus} on PATH (null: no nvidia-smi) and the given CUDA_VISIBLE_DEVICES. */
    private List<String> addresses(Integer gpus, String cudaVisibleDevices) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", (gpus == null ? "" : fakeNvidiaSmi(gpus) + ":") + "/usr/bin:/bin");
        env.put("CUDA_VISIBLE_DEVICES", cudaVisibleDevices);
        Scripts.Result r = Scripts.run(List.of("bash", Scripts.deploy("gpu/discover-gpus.sh").toString()), dir, env, 30);
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("gpu", json.get("name").asText(), r.out());
        List<String> out = new ArrayList<>();
        json.get("addresses").forEach(a -> {
            assertEquals(true, a.isTextual(), "addresses are strings: " + r.out());
            out.add(a.asText());
        });
        return out;
    }

    @Test
    void listsEveryGpuThatNvidiaSmiShows() throws IOException {
        assertEquals(List.of(), addresses(0, null));
        assertEquals(List.of("0"), addresses(1, null));
        assertEquals(List.of("0", "1", "2", "3"), addresses(4, null));
    }

    @Test
    void anEmptyListWithoutNvidiaSmi() throws IOException {
        assertEquals(List.of(), addresses(null, null));
        assertEquals(List.of(), addresses(null, "0,1"));
    }

    @Test
    void cudaVisibleDevicesGivesTheOrdinalsCudaWillUse() throws IOException {
        assertEquals(List.of("0", "1"), addresses(4, "2,3"));
        assertEquals(List.of("0"), addresses(4, "3"));
        assertEquals(List.of("0", "1", "2", "3"), addresses(4, " 3, 2 ,1,0"));
        assertEquals(List.of(), addresses(4, ""), "empty hides every GPU");
        assertEquals(List.of(), addresses(4, "-1"));
        assertEquals(List.of("0"), addresses(4, "1,7,2"), "CUDA stops at the first index that does not exist");
        assertEquals(List.of("0"), addresses(4, "1,1,2"), "a repeated index ends the list as well");
        assertEquals(List.of(), addresses(1, "2,3"), "indices of GPUs this node does not have");
        assertEquals(List.of("0"), addresses(1, "0,1"));
        assertEquals(List.of(), addresses(0, "0"));
    }

    @Test
    void uuidEntriesCountAsDevicesUpToTheGpusPresent() throws IOException {
        assertEquals(List.of("0", "1"), addresses(4, "GPU-8a1c2b3d-0000-1111-2222-333344445555,MIG-4f5e6d7c-aaaa-bbbb-cccc-ddddeeeeffff"));
        assertEquals(List.of("0"), addresses(1, "GPU-aaaa,GPU-bbbb"));
        assertEquals(List.of(), addresses(0, "GPU-aaaa"));
    }
}
