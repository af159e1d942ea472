package org.sdd4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.sdd4j.audio.WavWriter;

/**
 * The small two-class set the trainer tests run on: 16 clips of 9,000 samples at 16 kHz, even ones bona fide
 * (a noisy tone), odd ones spoof (noise only), listed in {@code list.tsv}; and a tiny AASIST configuration.
 */
public final class TinyTrainingSet {
    private TinyTrainingSet() {
    }

    /** Writes {@code u0.wav .. u15.wav} and {@code list.tsv} into {@code dir}, the noise drawn from {@code seed}. */
    public static Path write(Path dir, long seed) throws IOException {
        Random r = new Random(seed);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            boolean bona = i % 2 == 0;
            float[] x = new float[9000];
            double f = 200 + 40 * i;
            for (int t = 0; t < x.length; t++) {
                x[t] = (float) (0.05 * r.nextGaussian() + (bona ? 0.3 * Math.sin(2 * Math.PI * f * t / 16000) : 0));
            }
            WavWriter.writePcm16(dir.resolve("u" + i + ".wav"), x, 16000);
            list.append("u").append(i).append(".wav\t").append(bona ? "bonafide" : "spoof").append('\n');
        }
        Path listFile = dir.resolve("list.tsv");
        Files.writeString(listFile, list);
        return listFile;
    }

    /** Writes {@code tiny.conf}: an AASIST small enough for a training step in a second (8,000-sample input). */
    public static Path writeTinyAasistConf(Path dir) throws IOException {
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, """
                {"model_config": {"architecture": "AASIST", "nb_samp": 8000, "first_conv": 128,
                  "filts": [70, [1, 8], [8, 8], [8, 8], [8, 8]], "gat_dims": [8, 8],
                  "pool_ratios": [0.5, 0.5, 0.5, 0.5], "temperatures": [2.0, 2.0, 100.0, 100.0]}}""");
        return conf;
    }
}
