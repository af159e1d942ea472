package org.sdd4j.train;

import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/** Training losses, each taped with its gradient. */
public final class Losses {
    private Losses() {
    }

    /**
     * {@code torch.nn.CrossEntropyLoss(weight=w)} with mean reduction: {@code sum_i w[y_i] * -log softmax(z_i)[y_i]
     * / sum_i w[y_i]}. {@code classWeights} null means all ones.
     *
     * @param logits {@code [B, C]}
     * @param labels class index per row
     * @return a one-element tensor
     */
    public static Tensor crossEntropy(Ops ops, Tensor logits, int[] labels, float[] classWeights) {
        int b = logits.dim(0), c = logits.dim(1);
        if (labels.length != b) {
            throw new IllegalArgumentException(labels.length + " labels for " + b + " rows of logits");
        }
        double[] prob = new double[b * c];
        double total = 0, wsum = 0;
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= c) {
                throw new IllegalArgumentException("label " + labels[i] + " outside [0, " + c + ")");
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, logits.getFloat((long) i * c + j));
            }
            double z = 0;
            for (int j = 0; j < c; j++) {
                z += StrictMath.exp(logits.getFloat((long) i * c + j) - max);
            }
            for (int j = 0; j < c; j++) {
                prob[i * c + j] = StrictMath.exp(logits.getFloat((long) i * c + j) - max) / z;
            }
            double w = classWeights == null ? 1 : classWeights[labels[i]];
            total += -w * (logits.getFloat((long) i * c + labels[i]) - max - Math.log(z));
            wsum += w;
        }
        Tensor loss = ops.zeros(1);
        loss.setFloat(0, (float) (total / wsum));
        double norm = wsum;
        ops.record(loss, Ops.saved(), dl -> { // the probabilities it needs are a Java array
            Tensor dz = ops.tape().grad(logits);
            float g = dl.getFloat(0);
            for (int i = 0; i < b; i++) {
                double w = (classWeights == null ? 1 : classWeights[labels[i]]) / norm;
                for (int j = 0; j < c; j++) {
                    double d = w * (prob[i * c + j] - (j == labels[i] ? 1 : 0));
                    dz.setFloat((long) i * c + j, dz.getFloat((long) i * c + j) + (float) (g * d));
                }
            }
        }, logits);
        return loss;
    }
}
