package dev.dacspark.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/gpu/check.sh refuses, before it builds anything, a libtorch that cannot run the GPU check (a fake python3's torch). */
class GpuCheckScriptTest {
    @TempDir
    Path dir;

    /** check.sh with a python3 on PATH whose torch prints {@code torch} (version, CUDA version, lib folder), or none. */
    private Scripts.Result check(String torch, String libraryPath) {
        return check(torch, libraryPath, null);
    }

    /** ... with DJL_JNI_LIBRARY set to {@code jni} (a JNI built against that torch), or unset. */
    private Scripts.Result check(String torch, String libraryPath, String jni) {
        Path bin = dir.resolve("bin");
        Scripts.executable(bin.resolve("python3"), torch == null ? "#!/bin/sh\necho 'No module named torch' >&2\nexit 1\n"
                : "#!/bin/sh\necho '" + torch + "'\n");
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin + ":" + System.getenv("PATH"));
        env.put("PYTORCH_LIBRARY_PATH", libraryPath);
        env.put("DJL_JNI_LIBRARY", jni);
        return Scripts.run(List.of("bash", Scripts.deploy("gpu/check.sh").toString()), dir, env, 60);
    }

    @Test
    void aLibtorchThatCannotRunTheCheckIsRefusedNamingWhy() {
        Scripts.Result cpu = check("2.7.1+cpu none " + dir, null);
        assertEquals(2, cpu.exit(), cpu::toString);
        assertTrue(cpu.err().contains("python3's torch 2.7.1+cpu is a CPU build"), cpu::toString);
        Scripts.Result old = check("2.5.1+cu124 12.4 " + dir, null);
        assertEquals(2, old.exit(), old::toString);
        assertTrue(old.err().contains("python3's torch is 2.5.1+cu124; DJL's JNI needs 2.7.1"), old::toString);
        Scripts.Result none = check(null, null);
        assertEquals(2, none.exit(), none::toString);
        assertTrue(none.err().contains("python3 cannot import torch: set PYTORCH_LIBRARY_PATH"), none::toString);
        Scripts.Result missing = check(null, dir.resolve("no-such-libtorch").toString());
        assertEquals(2, missing.exit(), missing::toString);
        assertTrue(missing.err().contains("no-such-libtorch is not a directory"), missing::toString);
    }

    @Test
    void anotherTorchNeedsAJniBuiltAgainstIt() {
        Scripts.Result newer = check("2.11.0+cu130 13.0 " + dir, null);
        assertEquals(2, newer.exit(), newer::toString);
        assertTrue(newer.err().contains("python3's torch is 2.11.0+cu130; DJL's JNI needs 2.7.1")
                && newer.err().contains("or DJL_JNI_LIBRARY: DJL 0.36.0's JNI built against torch 2.11.0+cu130"), newer::toString);
        Scripts.Result absent = check("2.11.0+cu130 13.0 " + dir, null, dir.resolve("no-such-libdjl_torch.so").toString());
        assertEquals(2, absent.exit(), absent::toString);
        assertTrue(absent.err().contains("gpu-check: libtorch from python3's torch 2.11.0+cu130 (CUDA 13.0)")
                && absent.err().contains("no-such-libdjl_torch.so is not a file"), absent::toString);
    }
}
