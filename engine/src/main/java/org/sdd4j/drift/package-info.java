/**
 * How far a fine-tuned detector moved from the model it started from: relative weight change per
 * tensor and per module ({@link org.sdd4j.drift.WeightDrift}), and representation drift on a probe set,
 * per named layer, as mean cosine similarity and linear CKA of the two models' pooled layer outputs
 * ({@link org.sdd4j.drift.RepresentationDrift}); {@link org.sdd4j.drift.DriftReport} renders both.
 */
package org.sdd4j.drift;
