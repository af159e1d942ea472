package org.sdd4j.corpus;

/**
 * The statistics a shortcut detector would use: bandwidth, silence, level and length, nothing about
 * synthesis. {@link #of} returns, in order: 95 % and 99 % spectral roll-off (Hz), leading and trailing
 * silence share, active RMS (dBFS), noise floor (10th-percentile frame energy, dBFS) and duration (s).
 */
public final class ShortcutFeatures {
    /** Names of the features, in order. */
    public static final String[] NAMES = {"rolloff95_hz", "rolloff99_hz", "lead_silence", "trail_silence", "rms_db", "floor_db",
        "seconds"};

    /** The features by what they measure, so the control can say which kind of statistic separates the classes. */
    public enum Group {
        BANDWIDTH(0, 1), SILENCE(2, 3), LEVEL(4, 5), LENGTH(6);

        private final int[] indices;

        Group(int... indices) {
            this.indices = indices;
        }

        /** Positions of this group's features in {@link #NAMES}. */
        public int[] indices() {
            return indices.clone();
        }

        /** The group's columns of one feature row. */
        public double[] select(double[] row) {
            double[] out = new double[indices.length];
            for (int k = 0; k < indices.length; k++) {
                out[k] = row[indices[k]];
            }
            return out;
        }

        /** Lower-case name for reports. */
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private ShortcutFeatures() {
    }

    /** The features of a clip at {@code sampleRate}. */
    public static double[] of(float[] x, int sampleRate) {
        double[] power = Spectrum.averagePower(x);
        double total = 0;
        for (double p : power) {
            total += p;
        }
        double r95 = rolloff(power, total, 0.95, sampleRate);
        double r99 = rolloff(power, total, 0.99, sampleRate);
        double[] db = Conditioning.frameEnergiesDb(x);
        double peak = Double.NEGATIVE_INFINITY;
        for (double d : db) {
            peak = Math.max(peak, d);
        }
        double threshold = peak - Conditioning.SILENCE_BELOW_PEAK_DB;
        int lead = 0;
        while (lead < db.length && db[lead] <= threshold) {
            lead++;
        }
        int trail = 0;
        while (trail < db.length - lead && db[db.length - 1 - trail] <= threshold) {
            trail++;
        }
        double[] sorted = db.clone();
        java.util.Arrays.sort(sorted);
        double floor = sorted[(int) (0.1 * (sorted.length - 1))];
        return new double[] {r95, r99, lead / (double) db.length, trail / (double) db.length, Conditioning.activeRmsDb(x), floor,
            x.length / (double) sampleRate};
    }

    private static double rolloff(double[] power, double total, double share, int sampleRate) {
        double acc = 0;
        for (int k = 0; k < power.length; k++) {
            acc += power[k];
            if (acc >= share * total) {
                return k * (double) sampleRate / Spectrum.SIZE;
            }
        }
        return sampleRate / 2.0;
    }
}
