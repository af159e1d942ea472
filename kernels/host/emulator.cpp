// A host emulator of sdd4j's CUDA kernels, so that the CUDA backend's own code (these kernels, their grids
// and blocks, the argument marshalling, the allocator and the backend's op glue) runs, and is tested, on
// machines without a GPU. The GPU test suite runs on it wherever there is no GPU (engine tests,
// EmulatedGpuRuntime); on a GPU it runs on the hardware instead.
//
// Model: a launch runs its blocks one after another; a block's threads are fibers on the calling thread,
// scheduled cooperatively in thread order. A thread runs until it finishes or waits at a barrier:
// __syncthreads releases when every live thread of the block waits there; a warp shuffle is a warp-wide
// barrier, released when every live thread of the warp waits there. What a GPU would hang on or silently
// mis-synchronise is reported as an error instead: a shuffle in a diverged warp, or threads of one block
// waiting at different __syncthreads calls (the hardware barrier is one, the call sites are not). Scheduling is deterministic, so results are reproducible run to run. Fibers switch with a
// few register moves on x86-64 (a model forward pass makes millions of switches; ucontext's swapcontext
// makes a system call for each), with ucontext elsewhere.
//
// What it cannot tell: real concurrency (races between blocks, missing atomics), memory-model effects,
// the GPU's float differences (FMA contraction, fast intrinsics), performance. Those need the hardware.
#include "cuda_host.h"

#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#include <cstdio>
#include <cstring>
#include <cstdint>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../sdd4j_kernels.cu"
#include "selftest.cu"

namespace sdd4j_emu {
uint3 thread_idx, block_idx;
dim3 block_dim, grid_dim;

namespace {
constexpr int kMaxThreads = 1024;
constexpr size_t kStack = 128 * 1024;

enum class State { kReady, kAtBlockBarrier, kAtWarpBarrier, kDone };

int current = 0;
float shuffle_slots[kMaxThreads];
void (*entry)(void**) = nullptr;
void** entry_params = nullptr;
std::mutex launch_lock;  // one launch at a time: the state here is global
char* stacks = nullptr;  // kMaxThreads stacks, mapped once, committed lazily by the kernel
State states[kMaxThreads];
const void* barrier_site[kMaxThreads];  // the __syncthreads call each waiting thread is in
// Threads between barriers, and blocks of a launch, run in index order, or in reverse. A race-free kernel gives the
// same bits either way; one that reads what another thread or block writes without a barrier between does not.
bool reversed = false;

void finish();

#if defined(__x86_64__)
// sdd4j_emu_switch(save, load): pushes the callee-saved registers, MXCSR and the x87 control word, stores the stack
// pointer in *save, loads load and pops the same from there. Everything else the ABI lets a call clobber.
extern "C" void sdd4j_emu_switch(void** save, void* load);
asm(R"(
    .pushsection .text
    .globl sdd4j_emu_switch
    .type sdd4j_emu_switch, @function
sdd4j_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size sdd4j_emu_switch, .-sdd4j_emu_switch
    .popsection
)");

void* scheduler_sp;
void* fiber_sp[kMaxThreads];

[[noreturn]] void fiber_main() {
    entry(entry_params);
    finish();
    __builtin_unreachable();
}

void start_fiber(int t) {
    // A frame that sdd4j_emu_switch "returns" into fiber_main from: zeroed registers, this thread's MXCSR and
    // x87 control word, and the return address 16-byte aligned so that fiber_main starts ABI-aligned.
    auto* top = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(stacks + (t + 1) * kStack) & ~uintptr_t(15));
    uint64_t* ret = top - 2;
    *ret = reinterpret_cast<uint64_t>(&fiber_main);
    uint64_t* sp = ret - 7;
    for (int i = 1; i < 7; i++) sp[i] = 0;
    uint32_t control[2];
    asm volatile("stmxcsr %0" : "=m"(control[0]));
    asm volatile("fnstcw %0" : "=m"(control[1]));
    memcpy(sp, control, 8);
    fiber_sp[t] = sp;
}

void resume(int t) { sdd4j_emu_switch(&scheduler_sp, fiber_sp[t]); }
void yield_to_scheduler() { sdd4j_emu_switch(&fiber_sp[current], scheduler_sp); }
#else
ucontext_t scheduler_context;
ucontext_t fiber_context[kMaxThreads];

void fiber_main() {
    entry(entry_params);
    finish();
}

void start_fiber(int t) {
    getcontext(&fiber_context[t]);
    fiber_context[t].uc_stack.ss_sp = stacks + t * kStack;
    fiber_context[t].uc_stack.ss_size = kStack;
    fiber_context[t].uc_link = &scheduler_context;
    makecontext(&fiber_context[t], fiber_main, 0);
}

void resume(int t) { swapcontext(&scheduler_context, &fiber_context[t]); }
void yield_to_scheduler() { swapcontext(&fiber_context[current], &scheduler_context); }
#endif

void wait(State s) {
    states[current] = s;
    yield_to_scheduler();
}

void finish() { wait(State::kDone); }

// Runs one block to completion; false (and a message) when it stalls.
bool run_block(int threads, std::string& error) {
    for (int t = 0; t < threads; t++) {
        start_fiber(t);
        states[t] = State::kReady;
    }
    for (;;) {
        for (int i = 0; i < threads; i++) {
            int t = reversed ? threads - 1 - i : i;
            if (states[t] == State::kReady) {
                current = t;
                thread_idx = uint3{unsigned(t), 0, 0};
                resume(t);
            }
        }
        bool released = false, anyLive = false, allAtBlock = true;
        for (int w = 0; w < threads; w += 32) {
            int live = 0, atWarp = 0;
            for (int t = w; t < w + 32 && t < threads; t++) {
                State s = states[t];
                live += s != State::kDone;
                atWarp += s == State::kAtWarpBarrier;
                allAtBlock &= s == State::kDone || s == State::kAtBlockBarrier;
            }
            anyLive |= live > 0;
            if (live > 0 && atWarp == live) {
                for (int t = w; t < w + 32 && t < threads; t++) {
                    if (states[t] == State::kAtWarpBarrier) states[t] = State::kReady;
                }
                released = true;
            }
        }
        if (!anyLive) return true;
        if (released) continue;
        if (allAtBlock) {
            int first = -1;
            for (int t = 0; t < threads; t++) {
                if (states[t] != State::kAtBlockBarrier) continue;
                if (first < 0) first = t;
                if (barrier_site[t] != barrier_site[first]) {
                    error = "block " + std::to_string(block_idx.x) + ": threads " + std::to_string(first) + " and " +
                            std::to_string(t) + " wait at different __syncthreads calls (divergent barrier)";
                    return false;
                }
            }
            for (int t = 0; t < threads; t++) {
                if (states[t] == State::kAtBlockBarrier) states[t] = State::kReady;
            }
            continue;
        }
        int atBlock = 0, atWarp = 0, done = 0;
        for (int t = 0; t < threads; t++) {
            atBlock += states[t] == State::kAtBlockBarrier;
            atWarp += states[t] == State::kAtWarpBarrier;
            done += states[t] == State::kDone;
        }
        error = "block " + std::to_string(block_idx.x) + " stalls: " + std::to_string(atBlock) +
                " threads wait at __syncthreads, " + std::to_string(atWarp) + " at a warp shuffle whose warp has "
                "diverged, " + std::to_string(done) + " have finished";
        return false;
    }
}

// Calls kernel f with the arguments cuLaunchKernel would pass: params[i] points at argument i's value.
template <typename... A, size_t... I>
void invoke(void (*f)(A...), void** params, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(params[I])...);
}

template <typename... A>
void invoke(void (*f)(A...), void** params) {
    invoke(f, params, std::index_sequence_for<A...>{});
}

struct Kernel {
    const char* name;
    void (*run)(void**);
};

#define SDD4J_KERNEL(k) Kernel{#k, [](void** p) { invoke(k, p); }}

// Must list every kernel of CudaKernels.NAMES (the engine's tests check that it does), then the self-tests.
const Kernel kKernels[] = {
    SDD4J_KERNEL(activation_forward), SDD4J_KERNEL(activation_backward), SDD4J_KERNEL(softmax_forward),
    SDD4J_KERNEL(softmax_backward), SDD4J_KERNEL(layernorm_forward), SDD4J_KERNEL(layernorm_backward_input),
    SDD4J_KERNEL(layernorm_backward_params), SDD4J_KERNEL(groupnorm_forward),
    SDD4J_KERNEL(groupnorm_backward_input), SDD4J_KERNEL(groupnorm_backward_params),
    SDD4J_KERNEL(cross_entropy_forward), SDD4J_KERNEL(cross_entropy_backward), SDD4J_KERNEL(grpo_loss_forward),
    SDD4J_KERNEL(grpo_loss_backward), SDD4J_KERNEL(adam_step), SDD4J_KERNEL(maxpool2d_forward),
    SDD4J_KERNEL(maxpool2d_backward), SDD4J_KERNEL(batchnorm_eval_forward), SDD4J_KERNEL(batchnorm_train_forward),
    SDD4J_KERNEL(batchnorm_backward), SDD4J_KERNEL(batchnorm_eval_backward), SDD4J_KERNEL(layernorm_channels_forward),
    SDD4J_KERNEL(layernorm_channels_backward_input), SDD4J_KERNEL(layernorm_channels_backward_params),
    SDD4J_KERNEL(add_broadcast), SDD4J_KERNEL(mul_broadcast), SDD4J_KERNEL(mul_broadcast_backward_a),
    SDD4J_KERNEL(broadcast_reduce), SDD4J_KERNEL(scale), SDD4J_KERNEL(maximum_forward),
    SDD4J_KERNEL(maximum_backward), SDD4J_KERNEL(permute_copy), SDD4J_KERNEL(copy_blocks),
    SDD4J_KERNEL(reduce_forward), SDD4J_KERNEL(reduce_backward), SDD4J_KERNEL(im2col), SDD4J_KERNEL(col2im),
    SDD4J_KERNEL(channel_bias_add), SDD4J_KERNEL(channel_bias_grad), SDD4J_KERNEL(pairwise_product_forward),
    SDD4J_KERNEL(pairwise_product_backward), SDD4J_KERNEL(pair_scores_forward),
    SDD4J_KERNEL(pair_scores_backward_h), SDD4J_KERNEL(pair_scores_backward_w), SDD4J_KERNEL(gather_scaled_forward),
    SDD4J_KERNEL(gather_scaled_backward), SDD4J_KERNEL(attentive_pool_forward),
    SDD4J_KERNEL(attentive_pool_backward), SDD4J_KERNEL(dropout_forward), SDD4J_KERNEL(dropout_backward),
    SDD4J_KERNEL(weightnorm_norms), SDD4J_KERNEL(weightnorm_forward), SDD4J_KERNEL(weightnorm_backward_dot),
    SDD4J_KERNEL(weightnorm_backward_v), SDD4J_KERNEL(sum_squares), SDD4J_KERNEL(topk_rank),
    // The emulator's own tests (selftest.cu); never in the fatbin.
    SDD4J_KERNEL(selftest_block_sum), SDD4J_KERNEL(selftest_divergent_barrier), SDD4J_KERNEL(selftest_diverged_shuffle),
    SDD4J_KERNEL(selftest_write_past_end), SDD4J_KERNEL(selftest_missing_barrier),
};

void fail(char* error, int capacity, const std::string& message) {
    if (capacity > 0) {
        snprintf(error, size_t(capacity), "%s", message.c_str());
    }
}

// A product input as tensor cores see it (MatmulPrecision's order: 0 float32, 1 TF32, 2 bfloat16): TF32 keeps
// 10 explicit mantissa bits, ties away from zero (cvt.rna.tf32.f32); bfloat16 keeps 7, ties to even
// (cvt.rn.bf16.f32). Infinities and NaNs pass through.
float round_input(float v, int precision) {
    if (precision == 0) return v;
    uint32_t bits;
    memcpy(&bits, &v, 4);
    if ((bits & 0x7f800000u) != 0x7f800000u) {
        int drop = precision == 1 ? 13 : 16;
        uint32_t half = 1u << (drop - 1), mask = (1u << drop) - 1;
        bits = precision == 1 ? bits + half : bits + half - 1 + ((bits >> drop) & 1u);
        bits &= ~mask;
    }
    memcpy(&v, &bits, 4);
    return v;
}
}  // namespace

__attribute__((noinline)) void syncthreads() {
    barrier_site[current] = __builtin_return_address(0);
    wait(State::kAtBlockBarrier);
}

float shfl_xor(float v, int lane_mask) {
    int t = current;
    shuffle_slots[t] = v;
    wait(State::kAtWarpBarrier);  // every lane has published
    float r = shuffle_slots[(t & ~31) | ((t & 31) ^ (lane_mask & 31))];
    wait(State::kAtWarpBarrier);  // every lane has read before any publishes again
    return r;
}
}  // namespace sdd4j_emu

extern "C" {

// 1: run threads and blocks in reverse index order from the next launch on; 0: in index order (the default).
void sdd4j_emu_set_reversed(int on) {
    std::lock_guard<std::mutex> hold(sdd4j_emu::launch_lock);
    sdd4j_emu::reversed = on != 0;
}

int sdd4j_emu_kernel_count() { return int(sizeof(sdd4j_emu::kKernels) / sizeof(sdd4j_emu::kKernels[0])); }

const char* sdd4j_emu_kernel_name(int i) { return sdd4j_emu::kKernels[i].name; }

// cuLaunchKernel's contract, 1-D grid and block: 0 on success, else non-zero with the reason in error.
int sdd4j_emu_launch(const char* name, int grid, int block, void** params, char* error, int error_capacity) {
    using namespace sdd4j_emu;
    const Kernel* k = nullptr;
    for (const Kernel& c : kKernels) {
        if (strcmp(c.name, name) == 0) k = &c;
    }
    if (k == nullptr) {
        fail(error, error_capacity, std::string("no kernel named ") + name);
        return 1;
    }
    if (grid < 1 || block < 1 || block > kMaxThreads) {
        fail(error, error_capacity, std::string(name) + ": invalid launch, grid " + std::to_string(grid) + ", block " +
                                        std::to_string(block) + " (CUDA_ERROR_INVALID_VALUE)");
        return 2;
    }
    std::lock_guard<std::mutex> hold(launch_lock);
    if (stacks == nullptr) {
        void* m = mmap(nullptr, kMaxThreads * kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (m == MAP_FAILED) {
            fail(error, error_capacity, "cannot map the emulator's fiber stacks");
            return 3;
        }
        stacks = static_cast<char*>(m);
    }
    entry = k->run;
    entry_params = params;
    grid_dim = dim3{unsigned(grid), 1, 1};
    block_dim = dim3{unsigned(block), 1, 1};
    for (int i = 0; i < grid; i++) {
        int b = reversed ? grid - 1 - i : i;
        block_idx = uint3{unsigned(b), 0, 0};
        std::string stall;
        if (!run_block(block, stall)) {
            fail(error, error_capacity, std::string(name) + ": " + stall);
            return 4;
        }
    }
    return 0;
}

// Row-major C[q] = op(A[q]) op(B[q]) (+ C[q] when accumulate) (+ bias per column) for q < batch: Gemm.matmul's
// contract (cuBLASLt with the bias epilogue), with op(A) M x K and op(B) K x N, strides in floats. In TF32 or
// bfloat16 (precision 1, 2) the inputs are rounded first, as tensor cores do; sums are float32 in k order.
void sdd4j_emu_gemm(int trans_a, int trans_b, int m, int n, int k, const float* a, long long stride_a,
                    const float* b, long long stride_b, float* c, long long stride_c, int batch, int accumulate,
                    const float* bias, int precision) {
    std::vector<float> pa(size_t(m) * k), pb(size_t(k) * n), row(n);
    for (int q = 0; q < batch; q++) {
        const float* aq = a + q * stride_a;
        const float* bq = b + q * stride_b;
        float* cq = c + q * stride_c;
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float v = trans_a ? aq[size_t(p) * m + i] : aq[size_t(i) * k + p];
                pa[size_t(i) * k + p] = sdd4j_emu::round_input(v, precision);
            }
        }
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                float v = trans_b ? bq[size_t(j) * k + p] : bq[size_t(p) * n + j];
                pb[size_t(p) * n + j] = sdd4j_emu::round_input(v, precision);
            }
        }
        for (int i = 0; i < m; i++) {
            std::fill(row.begin(), row.end(), 0.0f);
            for (int p = 0; p < k; p++) {
                float av = pa[size_t(i) * k + p];
                const float* bp = &pb[size_t(p) * n];
                for (int j = 0; j < n; j++) row[j] += av * bp[j];
            }
            float* ci = cq + size_t(i) * n;
            for (int j = 0; j < n; j++) {
                ci[j] = row[j] + (accumulate ? ci[j] : 0.0f) + (bias != nullptr ? bias[j] : 0.0f);
            }
        }
    }
}
}
