package org.sdd4j.model.aasist;

import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * The graph half shared by AASIST and SSL-AASIST: GAT-S and GAT-T with pooling, two branches of two
 * stacked HS-GALs (each with its own master node), element-wise max of the branches, and the readout
 * {@code [max|T|, mean T, max|S|, mean S, master] -> Linear(5 * gat_dims[1], 2)}.
 */
public final class GraphBackEnd {
    private final Tensor master1;
    private final Tensor master2;
    private final GraphAttentionLayer gatS;
    private final GraphAttentionLayer gatT;
    private final HeteroGraphAttentionLayer st11;
    private final HeteroGraphAttentionLayer st12;
    private final HeteroGraphAttentionLayer st21;
    private final HeteroGraphAttentionLayer st22;
    private final GraphPool poolS;
    private final GraphPool poolT;
    private final GraphPool poolHS1;
    private final GraphPool poolHT1;
    private final GraphPool poolHS2;
    private final GraphPool poolHT2;
    private final Linear outLayer;

    public GraphBackEnd(StateDict sd, AasistConfig c) {
        int d = c.encoderChannels(), g0 = c.gatDims()[0], g1 = c.gatDims()[1];
        double[] t = c.temperatures(), r = c.poolRatios();
        this.master1 = sd.require("master1", 1, 1, g0);
        this.master2 = sd.require("master2", 1, 1, g0);
        this.gatS = new GraphAttentionLayer(sd, "GAT_layer_S", d, g0, t[0]);
        this.gatT = new GraphAttentionLayer(sd, "GAT_layer_T", d, g0, t[1]);
        this.st11 = new HeteroGraphAttentionLayer(sd, "HtrgGAT_layer_ST11", g0, g1, t[2]);
        this.st12 = new HeteroGraphAttentionLayer(sd, "HtrgGAT_layer_ST12", g1, g1, t[2]);
        this.st21 = new HeteroGraphAttentionLayer(sd, "HtrgGAT_layer_ST21", g0, g1, t[2]);
        this.st22 = new HeteroGraphAttentionLayer(sd, "HtrgGAT_layer_ST22", g1, g1, t[2]);
        this.poolS = new GraphPool(sd, "pool_S", g0, r[0]);
        this.poolT = new GraphPool(sd, "pool_T", g0, r[1]);
        // The reference gives all four HS-GAL pools pool_ratios[2]; pool_ratios[3] is never read.
        this.poolHS1 = new GraphPool(sd, "pool_hS1", g1, r[2]);
        this.poolHT1 = new GraphPool(sd, "pool_hT1", g1, r[2]);
        this.poolHS2 = new GraphPool(sd, "pool_hS2", g1, r[2]);
        this.poolHT2 = new GraphPool(sd, "pool_hT2", g1, r[2]);
        this.outLayer = Linear.load(sd, "out_layer", 5 * g1, 2, true);
    }

    /**
     * @param spectral nodes {@code [B, NS, D]} (positional term already added)
     * @param temporal nodes {@code [B, NT, D]}
     * @return logits {@code [B, 2]}
     */
    public Tensor forward(Ops ops, Tensor spectral, Tensor temporal) {
        int b = spectral.dim(0);
        Tensor outS = poolS.forward(ops, gatS.forward(ops, spectral));
        Tensor outT = poolT.forward(ops, gatT.forward(ops, temporal));
        Branch one = branch(ops, outT, outS, expand(ops, master1, b), st11, st12, poolHS1, poolHT1);
        Branch two = branch(ops, outT, outS, expand(ops, master2, b), st21, st22, poolHS2, poolHT2);
        // drop_way on every branch output, drop on the readout: active in training only.
        Tensor t = ops.maximum(ops.dropout(one.temporal, BRANCH_DROPOUT), ops.dropout(two.temporal, BRANCH_DROPOUT));
        Tensor s = ops.maximum(ops.dropout(one.spectral, BRANCH_DROPOUT), ops.dropout(two.spectral, BRANCH_DROPOUT));
        Tensor master = ops.maximum(ops.dropout(one.master, BRANCH_DROPOUT), ops.dropout(two.master, BRANCH_DROPOUT))
                .reshape(b, -1);
        Tensor hidden = ops.concat(1, ops.max(t, 1, true), ops.mean(t, 1), ops.max(s, 1, true), ops.mean(s, 1), master);
        ops.report("readout", hidden, Layout.VECTOR);
        return ops.report("out_layer", outLayer.forward(ops, ops.dropout(hidden, READOUT_DROPOUT)), Layout.VECTOR);
    }

    private static final double BRANCH_DROPOUT = 0.2;
    private static final double READOUT_DROPOUT = 0.5;

    private record Branch(Tensor temporal, Tensor spectral, Tensor master) {
    }

    private static Branch branch(Ops ops, Tensor outT, Tensor outS, Tensor master, HeteroGraphAttentionLayer first,
                                 HeteroGraphAttentionLayer second, GraphPool poolS, GraphPool poolT) {
        HeteroGraphAttentionLayer.Output o = first.forward(ops, outT, outS, master);
        Tensor s1 = poolS.forward(ops, o.type2());
        Tensor t1 = poolT.forward(ops, o.type1());
        HeteroGraphAttentionLayer.Output aug = second.forward(ops, t1, s1, o.master());
        return new Branch(ops.addInPlace(t1, aug.type1()), ops.addInPlace(s1, aug.type2()),
                ops.add(o.master(), aug.master()));
    }

    /** The learned master node {@code [1, 1, D]} repeated for each utterance of the batch (broadcast add). */
    private static Tensor expand(Ops ops, Tensor master, int batch) {
        return ops.add(ops.zeros(batch, 1, master.dim(2)), master);
    }
}
