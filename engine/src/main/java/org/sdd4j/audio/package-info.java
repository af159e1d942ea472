/**
 * Audio input: decoding files to mono float samples, resampling, and the input conventions the
 * published detectors expect.
 *
 * <p>{@link org.sdd4j.audio.AudioReader} picks a decoder by the file's magic bytes; WAV
 * ({@link org.sdd4j.audio.WavDecoder}) and FLAC ({@link org.sdd4j.audio.FlacDecoder}) are decoded in
 * pure Java with the same sample scaling as libsndfile/soundfile, so a clip decodes to the same
 * float32 values the Python reference code sees. Other formats plug in through
 * {@link org.sdd4j.audio.AudioDecoder}. {@link org.sdd4j.audio.Resampler} brings any rate to 16 kHz and
 * {@link org.sdd4j.audio.InputConvention} applies the fixed-length tiling (AASIST) or utterance
 * normalisation (AntiDeepfake).
 */
package org.sdd4j.audio;
