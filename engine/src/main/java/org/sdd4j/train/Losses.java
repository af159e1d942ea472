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
        Tensor z = ops.download(logits);
        double[] prob = new double[b * c];
        double total = 0, wsum = 0;
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= c) {
                throw new IllegalArgumentException("label " + labels[i] + " outside [0, " + c + ")");
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, z.getFloat((long) i * c + j));
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += StrictMath.exp(z.getFloat((long) i * c + j) - max);
            }
            for (int j = 0; j < c; j++) {
                prob[i * c + j] = StrictMath.exp(z.getFloat((long) i * c + j) - max) / sum;
            }
            double w = classWeights == null ? 1 : classWeights[labels[i]];
            total += -w * (z.getFloat((long) i * c + labels[i]) - max - Math.log(sum));
            wsum += w;
        }
        // d loss / d z_ij = w(y_i) (softmax(z_i)_j - [j == y_i]) / sum of weights
        double[] grad = new double[b * c];
        for (int i = 0; i < b; i++) {
            double w = (classWeights == null ? 1 : classWeights[labels[i]]) / wsum;
            for (int j = 0; j < c; j++) {
                grad[i * c + j] = w * (prob[i * c + j] - (j == labels[i] ? 1 : 0));
            }
        }
        Tensor loss = ops.hostLoss(logits, total / wsum, grad);
        return loss;
    }
}
