#!/usr/bin/env bash
# Regenerates the jextract FFM bindings committed under native-bindings/src/main/java.
#
# Usage: JEXTRACT=/path/to/bin/jextract tools/jextract/generate-bindings.sh [target...]
#   targets: dnnl gomp cuda cublaslt cudnn   (default: all of them)
#
# jextract is not on any registry we use: build it from its public sources (JDK 22+, libclang) and point
# JEXTRACT at its launcher. Header locations can be overridden:
#   DNNL_INCLUDE  directory holding oneapi/dnnl/dnnl.h. Default: unpacked from the org.bytedeco:dnnl
#                 linux-x86_64 jar in the local Maven repository (the same jar the loader extracts
#                 libdnnl.so.3 from, so headers and library always match).
#   OMP_HEADER    GCC's omp.h (libgomp is oneDNN's threading runtime). Default: newest under
#                 /usr/lib/gcc/x86_64-linux-gnu/*/include.
#
# Each target lists exactly the symbols sdd4j calls: the bindings stay small and reviewable, and a
# regeneration shows in the diff exactly which API we depend on. Add a symbol here, never by hand-editing
# the generated files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/native-bindings/src/main/java"
: "${JEXTRACT:?set JEXTRACT to a jextract launcher (jextract 22+ built for JDK 22+)}"
[ -x "$JEXTRACT" ] || { echo "JEXTRACT=$JEXTRACT is not an executable" >&2; exit 1; }

dnnl_version="$(sed -n 's|.*<dnnl.version>\(.*\)</dnnl.version>.*|\1|p' "$root/pom.xml" | head -1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Writes jextract's --include-* options for one kind of symbol, one per name.
includes() {
  local kind="$1"; shift
  local name
  for name in "$@"; do printf -- '--include-%s\n%s\n' "$kind" "$name"; done
}

# Removes a previously generated package and runs jextract into it.
run_jextract() {
  local package="$1" header="$2" args_file="$3"
  rm -rf "$out/${package//.//}"
  "$JEXTRACT" --output "$out" --target-package "$package" @"$args_file" "$header"
  echo "generated $package from $header"
}

# ---------------------------------------------------------------------------------------------------
# oneDNN (CPU math: sgemm, convolution, matmul). The generated code resolves symbols through the
# class loader's lookup; org.sdd4j.nativelib.NativeLibraries loads libdnnl.so.3 (System.load) first.
# ---------------------------------------------------------------------------------------------------
generate_dnnl() {
  local inc="${DNNL_INCLUDE:-}"
  if [ -z "$inc" ]; then
    [ -n "$dnnl_version" ] || { echo "cannot read <dnnl.version> from pom.xml" >&2; exit 1; }
    local jar="$HOME/.m2/repository/org/bytedeco/dnnl/$dnnl_version/dnnl-$dnnl_version-linux-x86_64.jar"
    [ -f "$jar" ] || { echo "no $jar: run tools/mvn -q -pl native-bindings dependency:resolve, or set DNNL_INCLUDE" >&2; exit 1; }
    unzip -q -o "$jar" 'org/bytedeco/dnnl/linux-x86_64/include/*' -d "$work/dnnl"
    inc="$work/dnnl/org/bytedeco/dnnl/linux-x86_64/include"
  fi
  [ -f "$inc/oneapi/dnnl/dnnl.h" ] || { echo "no oneapi/dnnl/dnnl.h under $inc" >&2; exit 1; }

  local functions=(
    dnnl_version dnnl_get_effective_cpu_isa dnnl_set_verbose
    dnnl_sgemm
    dnnl_engine_create dnnl_engine_destroy
    dnnl_stream_create dnnl_stream_wait dnnl_stream_destroy
    dnnl_memory_desc_create_with_tag dnnl_memory_desc_create_with_strides dnnl_memory_desc_destroy
    dnnl_memory_desc_get_size dnnl_memory_desc_equal
    dnnl_memory_create dnnl_memory_set_data_handle dnnl_memory_destroy
    dnnl_primitive_attr_create dnnl_primitive_attr_destroy
    dnnl_primitive_attr_set_post_ops dnnl_primitive_attr_set_scratchpad_mode
    dnnl_post_ops_create dnnl_post_ops_append_eltwise dnnl_post_ops_destroy
    dnnl_convolution_forward_primitive_desc_create
    dnnl_matmul_primitive_desc_create
    dnnl_primitive_desc_query_md dnnl_primitive_desc_destroy
    dnnl_primitive_create dnnl_primitive_execute dnnl_primitive_destroy
  )
  local constants=(
    DNNL_ARG_SRC DNNL_ARG_WEIGHTS DNNL_ARG_BIAS DNNL_ARG_DST DNNL_ARG_SCRATCHPAD DNNL_MAX_NDIMS
    dnnl_success dnnl_out_of_memory dnnl_invalid_arguments dnnl_unimplemented dnnl_last_impl_reached
    dnnl_runtime_error dnnl_not_required
    dnnl_cpu dnnl_stream_default_flags
    dnnl_f32 dnnl_bf16
    dnnl_format_tag_any dnnl_a dnnl_ab dnnl_abc dnnl_abcd dnnl_abcde
    dnnl_ncw dnnl_nchw dnnl_oiw dnnl_oihw dnnl_goiw dnnl_goihw
    dnnl_forward_inference dnnl_forward_training
    dnnl_convolution_direct dnnl_convolution_auto
    dnnl_eltwise_relu dnnl_eltwise_gelu_erf dnnl_eltwise_gelu_tanh
    dnnl_scratchpad_mode_library dnnl_scratchpad_mode_user
    dnnl_query_scratchpad_md
    dnnl_cpu_isa_default dnnl_cpu_isa_sse41 dnnl_cpu_isa_avx dnnl_cpu_isa_avx2 dnnl_cpu_isa_avx2_vnni
    dnnl_cpu_isa_avx2_vnni_2 dnnl_cpu_isa_avx512_core dnnl_cpu_isa_avx512_core_vnni
    dnnl_cpu_isa_avx512_core_bf16 dnnl_cpu_isa_avx10_1_512 dnnl_cpu_isa_avx10_1_512_amx
    dnnl_cpu_isa_avx10_1_512_amx_fp16
  )
  local structs=(dnnl_exec_arg_t dnnl_version_t)
  {
    printf -- '-I\n%s\n' "$inc"
    printf -- '--header-class-name\ndnnl_h\n'
    includes function "${functions[@]}"
    includes constant "${constants[@]}"
    includes typedef "${structs[@]}"
  } > "$work/dnnl.args"
  run_jextract org.sdd4j.nativelib.dnnl "$inc/oneapi/dnnl/dnnl.h" "$work/dnnl.args"
}

# ---------------------------------------------------------------------------------------------------
# libgomp (oneDNN's OpenMP runtime in the bytedeco build): thread-count control for --threads.
# ---------------------------------------------------------------------------------------------------
generate_gomp() {
  local header="${OMP_HEADER:-$(ls -d /usr/lib/gcc/x86_64-linux-gnu/*/include/omp.h 2>/dev/null | sort -V | tail -1)}"
  [ -f "$header" ] || { echo "no omp.h (install gcc or set OMP_HEADER)" >&2; exit 1; }
  {
    # GCC's omp.h uses the GCC 11 attribute form __malloc__(deallocator), which clang rejects:
    # map it to plain __malloc__ (attributes do not affect the bindings).
    printf -- '-D\n%s\n' '__malloc__(deallocator)=__malloc__'
    printf -- '--header-class-name\ngomp_h\n'
    includes function omp_set_num_threads omp_get_max_threads omp_get_num_procs
  } > "$work/gomp.args"
  run_jextract org.sdd4j.nativelib.gomp "$header" "$work/gomp.args"
}

# ---------------------------------------------------------------------------------------------------
# NVIDIA GPU libraries. sdd4j drives the GPU through the CUDA *driver* API (libcuda.so.1), not the
# runtime API (libcudart): the driver library is present wherever a GPU works at all; our kernels come as
# a fatbin that only the driver's module API (cuModuleLoadData, cuLaunchKernel with an argument array)
# can load and launch from Java (the runtime's <<<>>> launches need nvcc-generated host stubs); and
# neither cuBLASLt 13 nor cuDNN 9 links against libcudart (readelf -d shows no NEEDED entry), so no
# runtime library has to be found and version-matched. The driver's primary context is the one the
# runtime inside cuBLASLt/cuDNN uses, so all three share device memory and streams.
#
# Header locations (override with the variables):
#   CUDA_INCLUDE    directory with cuda.h and library_types.h. Default: $CUDA_HOME/include,
#                   else /usr/local/cuda/include.
#   CUBLAS_INCLUDE  directory with cublasLt.h (the nvidia_cublas wheel: nvidia/cu13/include).
#   CUDNN_INCLUDE   directory with cudnn_cnn.h (the nvidia_cudnn_cu13 wheel: nvidia/cudnn/include).
#   NVIDIA_WHEELS   where to find nvidia_cublas-*.whl / nvidia_cudnn_cu13-*.whl when the two above are
#                   not set (default /opt/pypi-more/files); their include/ folders are unpacked into a
#                   temporary directory.
# ---------------------------------------------------------------------------------------------------
cuda_include() {
  local inc="${CUDA_INCLUDE:-${CUDA_HOME:-/usr/local/cuda}/include}"
  [ -f "$inc/cuda.h" ] || { echo "no cuda.h under $inc (set CUDA_INCLUDE or CUDA_HOME)" >&2; exit 1; }
  printf '%s' "$inc"
}

# Unpacks the include/ folder of the newest wheel matching $1 and prints the directory holding header $2.
wheel_include() {
  local pattern="$1" header="$2" wheels="${NVIDIA_WHEELS:-/opt/pypi-more/files}"
  local wheel
  wheel="$(ls "$wheels"/$pattern 2>/dev/null | sort -V | tail -1)"
  [ -n "$wheel" ] || { echo "no $pattern in $wheels (set NVIDIA_WHEELS or the *_INCLUDE variable)" >&2; exit 1; }
  unzip -q -o "$wheel" 'nvidia/*/include/*' -d "$work/wheels" >&2
  local found
  found="$(find "$work/wheels" -name "$header" -path '*/include/*' | head -1)"
  [ -n "$found" ] || { echo "no $header in $wheel" >&2; exit 1; }
  dirname "$found"
}

# CUDA driver API: device discovery, the primary context, memory, streams, modules and launches.
generate_cuda() {
  local inc
  inc="$(cuda_include)"
  local functions=(
    cuInit cuDriverGetVersion cuGetErrorName cuGetErrorString
    cuDeviceGetCount cuDeviceGet cuDeviceGetName cuDeviceGetAttribute cuDeviceTotalMem_v2
    cuDevicePrimaryCtxRetain cuDevicePrimaryCtxRelease_v2 cuCtxSetCurrent cuCtxSynchronize
    cuMemGetInfo_v2 cuMemAlloc_v2 cuMemFree_v2 cuMemAllocHost_v2 cuMemFreeHost
    cuMemcpyHtoD_v2 cuMemcpyDtoH_v2 cuMemcpyDtoD_v2
    cuMemcpyHtoDAsync_v2 cuMemcpyDtoHAsync_v2 cuMemcpyDtoDAsync_v2 cuMemsetD32Async
    cuStreamCreate cuStreamSynchronize cuStreamDestroy_v2
    cuModuleLoadData cuModuleGetFunction cuModuleUnload cuLaunchKernel
    cuStreamBeginCapture_v2 cuStreamEndCapture cuGraphInstantiateWithFlags cuGraphLaunch cuGraphExecDestroy
    cuGraphDestroy
  )
  local constants=(
    CUDA_SUCCESS CUDA_ERROR_NO_DEVICE CUDA_ERROR_STUB_LIBRARY
    CUDA_ERROR_NOT_INITIALIZED CUDA_ERROR_OUT_OF_MEMORY CUDA_ERROR_NO_BINARY_FOR_GPU
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION CUDA_ERROR_SYSTEM_DRIVER_MISMATCH
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK
    CU_STREAM_NON_BLOCKING CUDA_VERSION CU_STREAM_CAPTURE_MODE_RELAXED
  )
  {
    printf -- '-I\n%s\n' "$inc"
    printf -- '--header-class-name\ncuda_h\n'
    includes function "${functions[@]}"
    includes constant "${constants[@]}"
  } > "$work/cuda.args"
  run_jextract org.sdd4j.nativelib.cuda "$inc/cuda.h" "$work/cuda.args"
}

# cuBLASLt: float32 (and TF32) matrix products with a bias epilogue, strided batches.
generate_cublaslt() {
  local cuda inc
  cuda="$(cuda_include)"
  inc="${CUBLAS_INCLUDE:-$(wheel_include 'nvidia_cublas-*.whl' cublasLt.h)}"
  local functions=(
    cublasLtGetVersion cublasLtGetCudartVersion cublasLtGetStatusName cublasLtGetStatusString
    cublasLtCreate cublasLtDestroy
    cublasLtMatmulDescCreate cublasLtMatmulDescDestroy cublasLtMatmulDescSetAttribute
    cublasLtMatrixLayoutCreate cublasLtMatrixLayoutDestroy cublasLtMatrixLayoutSetAttribute
    cublasLtMatmulPreferenceCreate cublasLtMatmulPreferenceDestroy cublasLtMatmulPreferenceSetAttribute
    cublasLtMatmulAlgoGetHeuristic cublasLtMatmul
  )
  local constants=(
    CUBLAS_STATUS_SUCCESS CUBLAS_STATUS_NOT_SUPPORTED
    CUBLAS_COMPUTE_32F CUBLAS_COMPUTE_32F_FAST_TF32 CUBLAS_COMPUTE_32F_FAST_16BF CUDA_R_32F CUDA_R_16BF
    CUBLAS_OP_N CUBLAS_OP_T
    CUBLASLT_MATMUL_DESC_TRANSA CUBLASLT_MATMUL_DESC_TRANSB CUBLASLT_MATMUL_DESC_EPILOGUE
    CUBLASLT_MATMUL_DESC_BIAS_POINTER CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE
    CUBLASLT_EPILOGUE_DEFAULT CUBLASLT_EPILOGUE_BIAS CUBLASLT_EPILOGUE_BGRADB
    CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET
    CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES
  )
  local structs=(cublasLtMatmulAlgo_t cublasLtMatmulHeuristicResult_t)
  {
    printf -- '-I\n%s\n-I\n%s\n' "$inc" "$cuda"
    printf -- '--header-class-name\ncublasLt_h\n'
    includes function "${functions[@]}"
    includes constant "${constants[@]}"
    includes typedef "${structs[@]}"
  } > "$work/cublaslt.args"
  run_jextract org.sdd4j.nativelib.cublaslt "$inc/cublasLt.h" "$work/cublaslt.args"
}

# cuDNN 9 (legacy descriptor API, which 9.x keeps): versions, handles, and the convolution forward and
# backward passes with algorithm heuristics.
generate_cudnn() {
  local cuda inc
  cuda="$(cuda_include)"
  inc="${CUDNN_INCLUDE:-$(wheel_include 'nvidia_cudnn_cu13-*.whl' cudnn_cnn.h)}"
  local functions=(
    cudnnGetVersion cudnnGetCudartVersion cudnnGetMaxDeviceVersion cudnnGetErrorString
    cudnnCreate cudnnDestroy cudnnSetStream
    cudnnCreateTensorDescriptor cudnnSetTensorNdDescriptor cudnnDestroyTensorDescriptor
    cudnnCreateFilterDescriptor cudnnSetFilterNdDescriptor cudnnDestroyFilterDescriptor
    cudnnCreateConvolutionDescriptor cudnnSetConvolutionNdDescriptor cudnnSetConvolutionGroupCount
    cudnnSetConvolutionMathType cudnnDestroyConvolutionDescriptor
    cudnnGetConvolutionForwardAlgorithm_v7 cudnnGetConvolutionForwardWorkspaceSize cudnnConvolutionForward
    cudnnGetConvolutionBackwardDataAlgorithm_v7 cudnnGetConvolutionBackwardDataWorkspaceSize
    cudnnConvolutionBackwardData
    cudnnGetConvolutionBackwardFilterAlgorithm_v7 cudnnGetConvolutionBackwardFilterWorkspaceSize
    cudnnConvolutionBackwardFilter cudnnConvolutionBackwardBias
  )
  local constants=(
    CUDNN_STATUS_SUCCESS CUDNN_MAJOR CUDNN_MINOR CUDNN_PATCHLEVEL CUDNN_VERSION
    CUDNN_DATA_FLOAT CUDNN_TENSOR_NCHW CUDNN_CROSS_CORRELATION
    CUDNN_DEFAULT_MATH CUDNN_TENSOR_OP_MATH CUDNN_FMA_MATH
  )
  # The *Perf_t typedefs name structs that must be included as structs too.
  local structs=(cudnnConvolutionFwdAlgoPerf_t cudnnConvolutionBwdDataAlgoPerf_t cudnnConvolutionBwdFilterAlgoPerf_t)
  local struct_tags=(cudnnConvolutionFwdAlgoPerfStruct cudnnConvolutionBwdDataAlgoPerfStruct
    cudnnConvolutionBwdFilterAlgoPerfStruct)
  {
    printf -- '-I\n%s\n-I\n%s\n' "$inc" "$cuda"
    printf -- '--header-class-name\ncudnn_h\n'
    includes function "${functions[@]}"
    includes constant "${constants[@]}"
    includes typedef "${structs[@]}"
    includes struct "${struct_tags[@]}"
  } > "$work/cudnn.args"
  run_jextract org.sdd4j.nativelib.cudnn "$inc/cudnn_cnn.h" "$work/cudnn.args"
}

all_targets=(dnnl gomp cuda cublaslt cudnn)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  case "$t" in
    dnnl) generate_dnnl ;;
    gomp) generate_gomp ;;
    cuda) generate_cuda ;;
    cublaslt) generate_cublaslt ;;
    cudnn) generate_cudnn ;;
    *) echo "unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2 ;;
  esac
done
