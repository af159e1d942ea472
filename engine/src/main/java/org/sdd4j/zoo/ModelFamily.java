package org.sdd4j.zoo;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The detector architecture a catalogued checkpoint belongs to; it decides which loader reads the file. */
public enum ModelFamily {
    /** AASIST / AASIST-L: sinc front end + graph attention back end, a PyTorch {@code .pth} state dict. */
    AASIST("aasist"),
    /** A wav2vec 2.0 family encoder followed by the AASIST back end. */
    SSL_AASIST("ssl-aasist"),
    /** AntiDeepfake: a wav2vec 2.0 family encoder, mean pooling and one linear layer, in safetensors. */
    ANTIDEEPFAKE("antideepfake"),
    /** A frozen wav2vec 2.0 family encoder, softmax-weighted fusion of middle layers and an FFN (EnvSSLAM-FFN). */
    LAYER_FUSION("layer-fusion");

    private final String id;

    ModelFamily(String id) {
        this.id = id;
    }

    /** The name used for this family in catalogue files and on the command line. */
    public String id() {
        return id;
    }

    /** The family named {@code id} in a catalogue file. */
    public static ModelFamily fromId(String id) {
        for (ModelFamily f : values()) {
            if (f.id.equals(id)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown model family '" + id + "' (known: "
                + Arrays.stream(values()).map(ModelFamily::id).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return id;
    }
}
