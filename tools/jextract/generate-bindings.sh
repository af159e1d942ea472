#!/usr/bin/env bash
# Regenerates the jextract FFM bindings committed under native-bindings/src/main/java.
#
# Usage: JEXTRACT=/path/to/bin/jextract tools/jextract/generate-bindings.sh [target...]
#   targets: dnnl gomp   (default: all of them)
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
# CUDA runtime, cuBLASLt, cuDNN: to be added as generate_cuda / generate_cublaslt / generate_cudnn,
# each following the pattern above (a symbol list + run_jextract into org.sdd4j.nativelib.<name>),
# with headers unpacked from the nvidia_* wheels in /opt/pypi-more/files (cuda_runtime_api.h from
# nvidia_cuda_runtime, cublasLt.h from nvidia_cublas, cudnn_graph.h / cudnn_ops.h from
# nvidia_cudnn_cu13), and the targets added to the list below.
# ---------------------------------------------------------------------------------------------------

all_targets=(dnnl gomp)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  case "$t" in
    dnnl) generate_dnnl ;;
    gomp) generate_gomp ;;
    *) echo "unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2 ;;
  esac
done
