package org.sdd4j.model.aasist;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.BatchNorm;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * Graph attention over one node type (GAT-S, GAT-T): attention from
 * {@code tanh(att_proj(x_i * x_j)) . att_weight / temperature}, softmax over neighbours, then
 * {@code proj_with_att(att @ x) + proj_without_att(x)}, BatchNorm1d and SELU.
 */
final class GraphAttentionLayer {
    private final Linear attProj;
    private final Tensor attWeight;
    private final Linear projWithAtt;
    private final Linear projWithoutAtt;
    private final BatchNorm bn;
    private final float temperature;
    private final String name;

    GraphAttentionLayer(StateDict sd, String prefix, int in, int out, double temperature) {
        this.attProj = Linear.load(sd, prefix + ".att_proj", in, out, true);
        this.attWeight = sd.require(prefix + ".att_weight", out, 1).reshape(1, out);
        this.projWithAtt = Linear.load(sd, prefix + ".proj_with_att", in, out, true);
        this.projWithoutAtt = Linear.load(sd, prefix + ".proj_without_att", in, out, true);
        this.bn = BatchNorm.load(sd, prefix + ".bn", out);
        this.temperature = (float) temperature;
        this.name = prefix;
    }

    /** Input dropout of the reference layer (training only). */
    static final double INPUT_DROPOUT = 0.2;

    Tensor forward(Ops ops, Tensor in) {
        Tensor x = ops.dropout(in, INPUT_DROPOUT);
        Tensor att = GraphOps.pairwiseAttention(ops, x, attProj, (i, j) -> attWeight, new Tensor[] {attWeight},
                temperature);
        Tensor y = ops.addInPlace(projWithAtt.forward(ops, ops.matmul(att, x, false)), projWithoutAtt.forward(ops, x));
        return ops.report(name, ops.actInPlace(Activation.SELU, bn.forwardNodes(ops, y)), Layout.NODES);
    }
}
