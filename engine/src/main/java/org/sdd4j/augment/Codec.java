package org.sdd4j.augment;

import java.util.List;

/**
 * The lossy codecs {@link CodecAugment} can round-trip audio through, with how ffmpeg and sox encode
 * each. Telephony codecs run at their native 8 kHz, so the round trip also band-limits to 4 kHz, as a
 * real phone channel would. Each codec has a few quality settings; one is drawn per call.
 */
public enum Codec {
    /** MPEG-1/2 layer 3 (LAME), 16 to 128 kbit/s. */
    MP3("mp3", 16000,
            new FfmpegPlan("libmp3lame", "mp3", "-b:a", List.of("16k", "24k", "32k", "48k", "64k", "96k", "128k")),
            new SoxPlan("mp3", "-C", List.of("16", "24", "32", "48", "64", "96", "128"))),
    /** Vorbis in Ogg, quality -1 (lowest) to 4. */
    OGG_VORBIS("ogg", 16000,
            new FfmpegPlan("libvorbis", "ogg", "-q:a", List.of("-1", "0", "1", "2", "4")),
            new SoxPlan("vorbis", "-C", List.of("-1", "0", "1", "2", "4"))),
    /** Opus in Ogg, 6 to 32 kbit/s (sox can only decode Opus, so ffmpeg only). */
    OPUS("opus", 16000,
            new FfmpegPlan("libopus", "opus", "-b:a", List.of("6k", "8k", "12k", "16k", "24k", "32k")),
            null),
    /** GSM 06.10 full rate, 8 kHz, 13 kbit/s. */
    GSM("gsm", 8000,
            new FfmpegPlan("libgsm", "gsm", null, List.of()),
            new SoxPlan("gsm", null, List.of())),
    /** AMR narrow band, 8 kHz, modes 4.75 to 12.2 kbit/s. */
    AMR_NB("amr", 8000,
            new FfmpegPlan("libopencore_amrnb", "amr", "-b:a",
                    List.of("4.75k", "5.15k", "5.9k", "6.7k", "7.4k", "7.95k", "10.2k", "12.2k")),
            new SoxPlan("amr-nb", "-C", List.of("0", "1", "2", "3", "4", "5", "6", "7"))),
    /** G.711 mu-law, 8 kHz, 8 bits. */
    MU_LAW("wav", 8000,
            new FfmpegPlan("pcm_mulaw", "wav", null, List.of()),
            new SoxPlan("wav", null, List.of(), "-e", "mu-law", "-b", "8")),
    /** G.711 A-law, 8 kHz, 8 bits. */
    A_LAW("wav", 8000,
            new FfmpegPlan("pcm_alaw", "wav", null, List.of()),
            new SoxPlan("wav", null, List.of(), "-e", "a-law", "-b", "8")),
    /** G.722 sub-band ADPCM, 16 kHz, 64 kbit/s (ffmpeg only). */
    G722("g722", 16000,
            new FfmpegPlan("g722", "g722", null, List.of()),
            null);

    final String extension;
    final int codecRate;
    final FfmpegPlan ffmpeg;
    final SoxPlan sox;

    Codec(String extension, int codecRate, FfmpegPlan ffmpeg, SoxPlan sox) {
        this.extension = extension;
        this.codecRate = codecRate;
        this.ffmpeg = ffmpeg;
        this.sox = sox;
    }

    /** The rate the codec runs at, Hz. */
    public int codecRate() {
        return codecRate;
    }

    /**
     * How ffmpeg encodes: the encoder, the output format (muxer), and the option that sets the quality
     * with its choices (none for fixed-rate codecs).
     */
    record FfmpegPlan(String encoder, String format, String qualityOption, List<String> qualities) {
    }

    /** How sox encodes: the output type ({@code -t}), the quality option with its choices, extra options. */
    record SoxPlan(String type, String qualityOption, List<String> qualities, String... extra) {
    }
}
