package org.sdd4j.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Linear CKA and cosine against numpy (tools/scripts/make_cka_fixtures.py) and their closed-form properties. */
class LinearCkaTest {

    @Test
    void matchesNumpyOnTheFixtures() throws IOException {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/drift/cka.json")) {
            root = new ObjectMapper().readTree(in);
        }
        assertEquals(3, root.get("cases").size());
        for (JsonNode c : root.get("cases")) {
            double got = LinearCka.of(matrix(c.get("x")), matrix(c.get("y")));
            assertEquals(c.get("cka").asDouble(), got, 1e-12, c.get("name").asText());
        }
    }

    @Test
    void knownValueInOneDimensionIsTheSquaredCorrelation() {
        // x = (1, 2, 3), y = (1, 4, 9): centred x = (-1, 0, 1), (y^T x)^2 = 64, ||x^T x|| = 2, ||y^T y|| = 294/9.
        double[][] x = {{1}, {2}, {3}};
        double[][] y = {{1}, {4}, {9}};
        assertEquals(48.0 / 49.0, LinearCka.of(x, y), 1e-15);
    }

    @Test
    void identicalRepresentationsGiveOne() {
        double[][] x = random(new Random(1), 10, 6);
        assertEquals(1.0, LinearCka.of(x, x), 1e-12);
    }

    @Test
    void invariantToOrthogonalRotationIsotropicScalingAndShift() {
        Random rng = new Random(2);
        double[][] x = random(rng, 9, 5);
        double[][] y = random(rng, 9, 4);
        double base = LinearCka.of(x, y);
        double[][] q = orthogonal(rng, 5);
        double[][] rotated = new double[9][5];
        for (int i = 0; i < 9; i++) {
            for (int j = 0; j < 5; j++) {
                for (int k = 0; k < 5; k++) {
                    rotated[i][j] += x[i][k] * q[k][j];
                }
                rotated[i][j] = 3.5 * rotated[i][j] + 7; // isotropic scale and a constant shift per column
            }
        }
        assertEquals(base, LinearCka.of(rotated, y), 1e-12);
        assertEquals(1.0, LinearCka.of(x, rotated), 1e-12);
        assertTrue(base > 0 && base < 1, "random representations are neither identical nor orthogonal: " + base);
    }

    @Test
    void notInvariantToAnisotropicScaling() {
        double[][] x = random(new Random(3), 8, 3);
        double[][] stretched = new double[8][];
        for (int i = 0; i < 8; i++) {
            stretched[i] = new double[] {x[i][0] * 10, x[i][1], x[i][2]};
        }
        assertTrue(LinearCka.of(x, stretched) < 0.99);
    }

    @Test
    void undefinedCasesAreNaNAndMismatchesThrow() {
        assertTrue(Double.isNaN(LinearCka.of(new double[][] {{1, 2}}, new double[][] {{3}})), "one example");
        assertTrue(Double.isNaN(LinearCka.of(new double[][] {{1}, {1}, {1}}, new double[][] {{1}, {2}, {3}})),
                "constant representation");
        assertThrows(IllegalArgumentException.class, () -> LinearCka.of(new double[][] {{1}, {2}}, new double[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> LinearCka.of(new double[][] {{1}, {2, 3}}, new double[][] {{1}, {2}}));
    }

    @Test
    void cosine() {
        assertEquals(1.0, RepresentationDrift.cosine(new double[] {1, 2}, new double[] {2, 4}), 1e-15);
        assertEquals(0.0, RepresentationDrift.cosine(new double[] {1, 0}, new double[] {0, 3}), 1e-15);
        assertEquals(-1.0, RepresentationDrift.cosine(new double[] {1, 1}, new double[] {-1, -1}), 1e-15);
        assertEquals(1.0, RepresentationDrift.cosine(new double[] {0, 0}, new double[] {0, 0}));
        assertEquals(0.0, RepresentationDrift.cosine(new double[] {0, 0}, new double[] {0, 1}));
    }

    private static double[][] matrix(JsonNode rows) {
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = new double[rows.get(i).size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = rows.get(i).get(j).asDouble();
            }
        }
        return m;
    }

    private static double[][] random(Random rng, int n, int p) {
        double[][] m = new double[n][p];
        for (double[] row : m) {
            for (int j = 0; j < p; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        return m;
    }

    /** A random orthogonal matrix by Gram-Schmidt on Gaussian columns. */
    private static double[][] orthogonal(Random rng, int n) {
        double[][] q = random(rng, n, n);
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += q[i][j] * q[i][k];
                }
                for (int i = 0; i < n; i++) {
                    q[i][j] -= dot * q[i][k];
                }
            }
            double norm = 0;
            for (int i = 0; i < n; i++) {
                norm += q[i][j] * q[i][j];
            }
            for (int i = 0; i < n; i++) {
                q[i][j] /= Math.sqrt(norm);
            }
        }
        return q;
    }
}
