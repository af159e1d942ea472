package org.sdd4j.model.aasist;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * Fresh AASIST weights with PyTorch's default initialisation, for training from scratch: convolutions and
 * linear layers uniform in {@code ±1/sqrt(fan_in)} (kaiming-uniform with a = sqrt 5, and the bias rule),
 * BatchNorm at identity, attention vectors xavier-normal, {@code pos_S} and the master nodes standard normal,
 * as the reference model's constructor does.
 */
public final class AasistInit {
    private final Arena arena;
    private final RandomGenerator rng;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    private AasistInit(Arena arena, RandomGenerator rng) {
        this.arena = arena;
        this.rng = rng;
    }

    /** A state dict with every tensor {@link Aasist} needs for {@code config}, allocated in {@code arena}. */
    public static StateDict create(AasistConfig config, RandomGenerator rng, Arena arena) {
        AasistInit init = new AasistInit(arena, rng);
        init.build(config);
        return StateDict.of(Path.of("init:" + config.sincFilters() + "/" + config.gatDims()[0]), arena, init.tensors);
    }

    private void build(AasistConfig c) {
        int ch = c.encoderChannels(), g0 = c.gatDims()[0], g1 = c.gatDims()[1];
        normal("pos_S", 1.0, 1, c.sincFilters() / 3, ch);
        normal("master1", 1.0, 1, 1, g0);
        normal("master2", 1.0, 1, 1, g0);
        batchNorm("first_bn", 1);
        for (int i = 0; i < 6; i++) {
            int[] f = c.block(i);
            String p = "encoder." + i + ".0";
            if (i > 0) {
                batchNorm(p + ".bn1", f[0]);
            }
            conv(p + ".conv1", f[1], f[0], 2, 3);
            batchNorm(p + ".bn2", f[1]);
            conv(p + ".conv2", f[1], f[1], 2, 3);
            if (f[0] != f[1]) {
                conv(p + ".conv_downsample", f[1], f[0], 1, 3);
            }
        }
        gat("GAT_layer_S", ch, g0);
        gat("GAT_layer_T", ch, g0);
        htrg("HtrgGAT_layer_ST11", g0, g1);
        htrg("HtrgGAT_layer_ST12", g1, g1);
        htrg("HtrgGAT_layer_ST21", g0, g1);
        htrg("HtrgGAT_layer_ST22", g1, g1);
        linear("pool_S.proj", g0, 1);
        linear("pool_T.proj", g0, 1);
        for (String p : new String[] {"pool_hS1", "pool_hT1", "pool_hS2", "pool_hT2"}) {
            linear(p + ".proj", g1, 1);
        }
        linear("out_layer", 5 * g1, 2);
    }

    private void gat(String p, int in, int out) {
        linear(p + ".att_proj", in, out);
        xavier(p + ".att_weight", out);
        linear(p + ".proj_with_att", in, out);
        linear(p + ".proj_without_att", in, out);
        batchNorm(p + ".bn", out);
    }

    private void htrg(String p, int in, int out) {
        linear(p + ".proj_type1", in, in);
        linear(p + ".proj_type2", in, in);
        linear(p + ".att_proj", in, out);
        linear(p + ".att_projM", in, out);
        for (String w : new String[] {"11", "22", "12", "M"}) {
            xavier(p + ".att_weight" + w, out);
        }
        linear(p + ".proj_with_att", in, out);
        linear(p + ".proj_without_att", in, out);
        linear(p + ".proj_with_attM", in, out);
        linear(p + ".proj_without_attM", in, out);
        batchNorm(p + ".bn", out);
    }

    private void conv(String p, int out, int in, int kh, int kw) {
        double bound = 1 / Math.sqrt((double) in * kh * kw);
        uniform(p + ".weight", bound, out, in, kh, kw);
        uniform(p + ".bias", bound, out);
    }

    private void linear(String p, int in, int out) {
        double bound = 1 / Math.sqrt(in);
        uniform(p + ".weight", bound, out, in);
        uniform(p + ".bias", bound, out);
    }

    private void batchNorm(String p, int c) {
        fill(p + ".weight", 1f, c);
        fill(p + ".bias", 0f, c);
        fill(p + ".running_mean", 0f, c);
        fill(p + ".running_var", 1f, c);
    }

    /** xavier_normal_ of an {@code [out, 1]} attention vector: fan_in 1, fan_out out. */
    private void xavier(String name, int out) {
        normal(name, Math.sqrt(2.0 / (1 + out)), out, 1);
    }

    private void uniform(String name, double bound, int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) ((rng.nextDouble() * 2 - 1) * bound));
        }
        tensors.put(name, t);
    }

    private void normal(String name, double std, int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) (rng.nextGaussian() * std));
        }
        tensors.put(name, t);
    }

    private void fill(String name, float v, int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, v);
        }
        tensors.put(name, t);
    }
}
