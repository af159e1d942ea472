// The one translation unit nvcc compiles into sdd4j_kernels.fatbin: a fatbin holds one module, so the
// per-family files are included here rather than linked (no relocatable device code, no nvlink step).
#include "activations.cu"
#include "softmax.cu"
#include "norms.cu"
#include "loss.cu"
#include "adamw.cu"
#include "pooling.cu"
#include "batchnorm.cu"
#include "elementwise.cu"
#include "layout.cu"
#include "conv.cu"
#include "graph.cu"
#include "weightnorm.cu"
