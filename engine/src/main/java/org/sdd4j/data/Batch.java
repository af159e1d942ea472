package org.sdd4j.data;

import java.util.List;
import java.util.Objects;

/**
 * One prefetched batch: the utterances that loaded, in the sampler's order, and the ones that failed
 * (to be skipped and reported by the trainer).
 */
public record Batch(int epoch, int index, List<Example> examples, List<Failure> failures) {
    public Batch {
        examples = List.copyOf(examples);
        failures = List.copyOf(failures);
    }

    /** A loaded utterance: its model input samples. */
    public record Example(LabeledUtterance utterance, float[] samples) {
        public Example {
            Objects.requireNonNull(utterance, "utterance");
            Objects.requireNonNull(samples, "samples");
        }
    }

    /** An utterance that could not be loaded; {@link #message()} names its file and the problem. */
    public record Failure(LabeledUtterance utterance, Exception cause) {
        public String message() {
            String file = utterance.audio().toString();
            String text = Objects.toString(cause.getMessage(), cause.getClass().getSimpleName());
            return text.contains(file) ? text : file + ": " + text;
        }
    }
}
