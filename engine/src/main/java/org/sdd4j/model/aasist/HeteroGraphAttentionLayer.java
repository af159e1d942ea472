package org.sdd4j.model.aasist;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.BatchNorm;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * The heterogeneous stacking graph attention layer (HS-GAL) over temporal and spectral nodes plus a
 * master node. Type-pair attention vectors: {@code weight11} (type 1 with itself), {@code weight22},
 * and {@code weight12} for both cross blocks, as the reference uses it. The master node attends over
 * all nodes and is updated without BatchNorm or SELU.
 */
final class HeteroGraphAttentionLayer {
    private final Linear projType1;
    private final Linear projType2;
    private final Linear attProj;
    private final Linear attProjM;
    private final Tensor w11;
    private final Tensor w22;
    private final Tensor w12;
    private final Tensor wM;
    private final Linear projWithAtt;
    private final Linear projWithoutAtt;
    private final Linear projWithAttM;
    private final Linear projWithoutAttM;
    private final BatchNorm bn;
    private final float temperature;
    private final String name;

    /** The updated node sets and master node. */
    record Output(Tensor type1, Tensor type2, Tensor master) {
    }

    HeteroGraphAttentionLayer(StateDict sd, String p, int in, int out, double temperature) {
        this.projType1 = Linear.load(sd, p + ".proj_type1", in, in, true);
        this.projType2 = Linear.load(sd, p + ".proj_type2", in, in, true);
        this.attProj = Linear.load(sd, p + ".att_proj", in, out, true);
        this.attProjM = Linear.load(sd, p + ".att_projM", in, out, true);
        this.w11 = sd.require(p + ".att_weight11", out, 1).reshape(1, out);
        this.w22 = sd.require(p + ".att_weight22", out, 1).reshape(1, out);
        this.w12 = sd.require(p + ".att_weight12", out, 1).reshape(1, out);
        this.wM = sd.require(p + ".att_weightM", out, 1).reshape(1, out);
        this.projWithAtt = Linear.load(sd, p + ".proj_with_att", in, out, true);
        this.projWithoutAtt = Linear.load(sd, p + ".proj_without_att", in, out, true);
        this.projWithAttM = Linear.load(sd, p + ".proj_with_attM", in, out, true);
        this.projWithoutAttM = Linear.load(sd, p + ".proj_without_attM", in, out, true);
        this.bn = BatchNorm.load(sd, p + ".bn", out);
        this.temperature = (float) temperature;
        this.name = p;
    }

    /**
     * @param x1     type-1 nodes {@code [B, N1, D]}
     * @param x2     type-2 nodes {@code [B, N2, D]}
     * @param master master node {@code [B, 1, D]}
     */
    Output forward(Ops ops, Tensor x1, Tensor x2, Tensor master) {
        int n1 = x1.dim(1), n2 = x2.dim(1);
        Tensor x = ops.dropout(ops.concat(1, projType1.forward(ops, x1), projType2.forward(ops, x2)),
                GraphAttentionLayer.INPUT_DROPOUT);
        Tensor att = GraphOps.pairwiseAttention(ops, x, attProj,
                (i, j) -> i < n1 ? (j < n1 ? w11 : w12) : (j < n1 ? w12 : w22), new Tensor[] {w11, w22, w12},
                temperature);
        Tensor newMaster = updateMaster(ops, x, master);
        Tensor y = ops.addInPlace(projWithAtt.forward(ops, ops.matmul(att, x, false)), projWithoutAtt.forward(ops, x));
        y = ops.actInPlace(Activation.SELU, bn.forwardNodes(ops, y));
        ops.report(name, y, Layout.NODES); // both node types; the master node is read out separately
        return new Output(ops.narrow(y, 1, 0, n1), ops.narrow(y, 1, n1, n2), newMaster);
    }

    private Tensor updateMaster(Ops ops, Tensor x, Tensor master) {
        int b = x.dim(0), n = x.dim(1);
        Tensor h = ops.actInPlace(Activation.TANH, attProjM.forward(ops, GraphOps.mulNodes(ops, x, master)));
        Tensor scores = ops.divide(ops.linear(h, wM, null).reshape(b, 1, n), temperature);
        Tensor att = ops.softmax(scores);
        return ops.addInPlace(projWithAttM.forward(ops, ops.matmul(att, x, false)), projWithoutAttM.forward(ops, master));
    }
}
