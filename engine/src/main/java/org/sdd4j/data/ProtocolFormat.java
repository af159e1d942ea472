package org.sdd4j.data;

/** The corpus protocol layouts {@link Protocol} reads. */
public enum ProtocolFormat {
    /**
     * ASVspoof 2019 LA CM protocols ({@code ASVspoof2019.LA.cm.*.txt}), five space-separated columns:
     * {@code SPEAKER UTTERANCE - ATTACK KEY}, e.g. {@code LA_0039 LA_E_2834763 - A11 spoof}.
     */
    ASVSPOOF2019_LA,
    /**
     * ASVspoof 2021 LA and DF keys ({@code keys/{LA,DF}/CM/trial_metadata.txt}): at least eight columns,
     * {@code SPEAKER UTTERANCE CODEC TRANSMISSION|SOURCE ATTACK KEY TRIM SUBSET [...]}; the DF keys add
     * the vocoder type and four more, e.g. {@code LA_0023 DF_E_2000011 nocodec asvspoof A14 spoof notrim
     * progress traditional_vocoder - - - -}.
     */
    ASVSPOOF2021,
    /**
     * ASVspoof 5 protocols ({@code ASVspoof5.*.tsv}, whitespace-separated despite the name), ten
     * columns: {@code SPEAKER FILE GENDER CODEC CODEC_Q CODEC_SEED ATTACK_TAG ATTACK_LABEL KEY -}.
     */
    ASVSPOOF5,
    /** In-the-Wild's {@code meta.csv}: a header {@code file,speaker,label}, labels {@code bona-fide} / {@code spoof}. */
    IN_THE_WILD,
    /**
     * A plain list, one {@code path<TAB>label} a line; the label is 1 / 0, {@code bonafide} /
     * {@code bona-fide} / {@code spoof}; relative paths are against the audio root; blank lines and
     * lines starting with {@code #} are skipped.
     */
    PATH_LABEL_LIST
}
