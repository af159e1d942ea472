package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sdd4j.nativelib.LoadedLibrary;
import org.sdd4j.nativelib.NativeLibraries;
import org.sdd4j.nativelib.NativeLibraryException;

import static org.junit.jupiter.api.Assertions.*;

/** oneDNN sgemm, convolution and matmul against plain loops on random inputs. */
class OneDnnTest {
    private static OneDnn dnn;
    private final Random random = new Random(42);
    private final Arena arena = Arena.ofAuto();

    @BeforeAll
    static void open() {
        dnn = OneDnn.create(1);
    }

    @AfterAll
    static void close() {
        dnn.close();
    }

    @Test
    void reportsTheLoadedLibrary() {
        LoadedLibrary lib = dnn.library();
        assertTrue(lib.version().startsWith("3."), lib.describe());
        assertTrue(lib.path().isAbsolute() && lib.path().toString().endsWith("libdnnl.so.3"), lib.describe());
        assertFalse(OneDnn.effectiveIsa().isBlank());
    }

    @Test
    void appliesTheThreadCountToOpenMp() {
        MemorySegment one = segment(new float[] {2});
        dnn.sgemm(false, false, 1, 1, 1, 1, one, 1, one, 1, 0, segment(new float[1]), 1);
        assertEquals(1, org.sdd4j.nativelib.gomp.gomp_h.omp_get_max_threads());
        assertThrows(IllegalArgumentException.class, () -> OneDnn.create(-1));
    }

    @Test
    void sgemmMatchesNaiveLoopWithTransposesAndOddSizes() {
        int[][] sizes = {{1, 1, 1}, {7, 13, 5}, {33, 17, 65}, {64, 3, 129}};
        for (int[] s : sizes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    checkSgemm(ta, tb, s[0], s[1], s[2], 0, 1.0f, 0.0f);
                    checkSgemm(ta, tb, s[0], s[1], s[2], 3, 0.5f, -1.5f); // padded leading dims, accumulate
                }
            }
        }
    }

    private void checkSgemm(boolean ta, boolean tb, int m, int n, int k, int ldPad, float alpha, float beta) {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + ldPad, ldb = bCols + ldPad, ldc = n + ldPad;
        float[] a = randoms(aRows * lda), b = randoms(bRows * ldb), c = randoms(m * ldc);
        MemorySegment ma = segment(a), mb = segment(b), mc = segment(c);
        dnn.sgemm(ta, tb, m, n, k, alpha, ma, lda, mb, ldb, beta, mc, ldc);
        float[] got = mc.toArray(ValueLayout.JAVA_FLOAT);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * lda + i] : a[i * lda + p];
                    double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                double want = alpha * sum + beta * c[i * ldc + j];
                assertEquals(want, got[i * ldc + j], 1e-4 * (1 + Math.abs(want)),
                        "sgemm ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " at " + i + "," + j);
            }
        }
    }

    @Test
    void sgemmRejectsShortBuffersAndBadLeadingDimensions() {
        MemorySegment small = arena.allocate(4 * 4);
        MemorySegment ok = arena.allocate(4L * 100);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dnn.sgemm(false, false, 4, 4, 4, 1, small, 4, ok, 4, 0, ok, 4));
        assertTrue(e.getMessage().contains("sgemm A"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> dnn.sgemm(false, false, 4, 4, 4, 1, ok, 3, ok, 4, 0, ok, 4));
        assertTrue(e.getMessage().contains("leading dimension of A"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dnn.sgemm(false, false, 2, 2, 2, 1,
                MemorySegment.ofArray(new float[4]), 2, ok, 2, 0, ok, 2));
    }

    @Test
    void conv1dWithGroupsStrideAsymmetricPaddingDilationAndBias() {
        checkConv(ConvolutionShape.conv1d(2, 6, 23, 4, 3, 2, 1, 2, 2, 2, true));
        checkConv(ConvolutionShape.conv1d(1, 1, 50, 8, 10, 5, 0, 0, 1, 1, false)); // wav2vec2's first conv
        checkConv(ConvolutionShape.conv1d(1, 8, 17, 8, 4, 1, 2, 2, 1, 4, true)); // grouped, even kernel
    }

    @Test
    void conv2dWithGroupsStrideAsymmetricPaddingDilationAndBias() {
        checkConv(ConvolutionShape.conv2d(2, 4, 9, 11, 6, 2, 3, 1, 2, 1, 0, 1, 1, 1, 1, 2, true));
        checkConv(ConvolutionShape.conv2d(1, 1, 7, 13, 3, 3, 3, 2, 1, 0, 2, 1, 0, 2, 1, 1, false));
        checkConv(ConvolutionShape.conv2d(1, 3, 5, 6, 3, 1, 3, 1, 1, 0, 0, 1, 1, 1, 1, 3, true)); // depthwise
    }

    @Test
    void cachedConvolutionIsReusedWithNewBuffers() {
        ConvolutionShape shape = ConvolutionShape.conv1d(1, 2, 9, 3, 3, 1, 1, 1, 1, 1, true);
        checkConv(shape);
        checkConv(shape);
    }

    private void checkConv(ConvolutionShape s) {
        float[] src = randoms((int) ConvolutionShape.elements(s.srcDims()));
        float[] w = randoms((int) ConvolutionShape.elements(s.weightDims()));
        float[] bias = s.bias() ? randoms(s.outChannels()) : null;
        MemorySegment dst = arena.allocate(4 * ConvolutionShape.elements(s.dstDims()));
        dnn.convolution(s, segment(src), segment(w), bias == null ? null : segment(bias), dst);
        float[] want = naiveConv(s, src, w, bias);
        float[] got = dst.toArray(ValueLayout.JAVA_FLOAT);
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), s + " at " + i);
        }
    }

    /** The definition: 2-D convolution (1-D as height 1) in PyTorch's layouts, accumulated in double. */
    private static float[] naiveConv(ConvolutionShape s, float[] src, float[] w, float[] bias) {
        boolean twoD = s.spatialRank() == 2;
        int ih = twoD ? s.input().get(0) : 1, iw = s.input().get(twoD ? 1 : 0);
        int kh = twoD ? s.kernel().get(0) : 1, kw = s.kernel().get(twoD ? 1 : 0);
        int sh = twoD ? s.stride().get(0) : 1, sw = s.stride().get(twoD ? 1 : 0);
        int ph = twoD ? s.padBefore().get(0) : 0, pw = s.padBefore().get(twoD ? 1 : 0);
        int dh = twoD ? s.dilation().get(0) : 1, dw = s.dilation().get(twoD ? 1 : 0);
        int oh = twoD ? s.output().get(0) : 1, ow = s.output().get(twoD ? 1 : 0);
        int cin = s.inChannels(), cout = s.outChannels(), g = s.groups(), cpg = cin / g, opg = cout / g;
        float[] out = new float[s.batch() * cout * oh * ow];
        for (int n = 0; n < s.batch(); n++)
            for (int o = 0; o < cout; o++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++) {
                        double sum = bias == null ? 0 : bias[o];
                        int group = o / opg;
                        for (int c = 0; c < cpg; c++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++) {
                                    int yy = y * sh - ph + ky * dh, xx = x * sw - pw + kx * dw;
                                    if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                                    int ci = group * cpg + c;
                                    sum += (double) src[((n * cin + ci) * ih + yy) * iw + xx]
                                            * w[((o * cpg + c) * kh + ky) * kw + kx];
                                }
                        out[((n * cout + o) * oh + y) * ow + x] = (float) sum;
                    }
        return out;
    }

    @Test
    void batchedMatmulWithTransposedSharedWeightsAndBias() {
        checkMatmul(new MatmulShape(3, 5, 7, 4, false, false, false));
        checkMatmul(new MatmulShape(2, 9, 6, 11, true, true, true)); // a Linear layer: x W^T + b
        checkMatmul(new MatmulShape(4, 1, 33, 2, true, false, true));
    }

    private void checkMatmul(MatmulShape s) {
        float[] a = randoms((int) s.aFloats()), b = randoms((int) s.bFloats());
        float[] bias = s.bias() ? randoms(s.n()) : null;
        MemorySegment c = arena.allocate(4 * s.cFloats());
        dnn.matmul(s, segment(a), segment(b), bias == null ? null : segment(bias), c);
        float[] got = c.toArray(ValueLayout.JAVA_FLOAT);
        for (int t = 0; t < s.batch(); t++) {
            int bb = s.sharedB() ? 0 : t;
            for (int i = 0; i < s.m(); i++)
                for (int j = 0; j < s.n(); j++) {
                    double sum = bias == null ? 0 : bias[j];
                    for (int p = 0; p < s.k(); p++) {
                        float bv = s.transposeB() ? b[(bb * s.n() + j) * s.k() + p] : b[(bb * s.k() + p) * s.n() + j];
                        sum += (double) a[(t * s.m() + i) * s.k() + p] * bv;
                    }
                    assertEquals(sum, got[(t * s.m() + i) * s.n() + j], 1e-4 * (1 + Math.abs(sum)), s + " " + t + "," + i + "," + j);
                }
        }
    }

    @Test
    void rejectsWrongBufferSizesAndBiasMismatch() {
        ConvolutionShape s = ConvolutionShape.conv1d(1, 2, 8, 2, 3, 1, 0, 0, 1, 1, false);
        MemorySegment big = arena.allocate(4 * 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dnn.convolution(s, arena.allocate(4), big, null, big));
        assertTrue(e.getMessage().contains("convolution src"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dnn.convolution(s, big, big, big, big));
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvolutionShape.conv1d(1, 2, 2, 2, 5, 1, 0, 0, 1, 1, false));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }

    @Test
    void missingLibraryErrorNamesThePathAndTheFix() {
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> NativeLibraries.locateDnnl("/nonexistent/sdd4j-test/libdnnl.so.3"));
        assertTrue(e.getMessage().contains("/nonexistent/sdd4j-test/libdnnl.so.3"), e.getMessage());
        assertTrue(e.getMessage().contains("-D" + NativeLibraries.DNNL_PATH_PROPERTY), e.getMessage());
    }

    private float[] randoms(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian());
        }
        return v;
    }

    private MemorySegment segment(float[] values) {
        return arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
    }
}
