/**
 * The embedding API: {@link org.sdd4j.api.Detector} loads a published checkpoint, recognising its
 * family from the key names, and scores audio; {@link org.sdd4j.api.ModelLoader} is the step from an
 * opened checkpoint to a model for callers that need the model itself.
 */
package org.sdd4j.api;
