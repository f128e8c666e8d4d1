// Which path's loops run (isa.h): the best the CPU runs, chosen when the addon loads, or the one
// `isa(name)` forces (tests run every path this way; FLOWS_NATIVE_ISA sets it from JavaScript).
// Compiled for the baseline, like everything outside the paths' own sources, so that it runs on
// any CPU of the architecture and can refuse a path before any of its instructions execute.
#include "addon.h"
#include "isa.h"
#include <stdio.h>
#include <string.h>

// Every path built into this addon, best last.
static const IsaKernels *const built[] = {
    &flows_isa_kernels_baseline,
#if defined(FLOWS_X86_PATHS)
    &flows_isa_kernels_avx2,
    &flows_isa_kernels_avx512,
#endif
};
#define BUILT_COUNT ((int)(sizeof built / sizeof built[0]))

// Whether this CPU (and its operating system, which must save the wider registers: GCC's
// __builtin_cpu_supports checks XGETBV as well as CPUID) runs a path's instructions.
static int cpu_runs(const IsaKernels *k) {
#if defined(FLOWS_X86_PATHS)
  __builtin_cpu_init();
  if (k == &flows_isa_kernels_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (k == &flows_isa_kernels_avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return k == &flows_isa_kernels_baseline;
}

static const IsaKernels *best(void) {
  for (int i = BUILT_COUNT - 1; i > 0; i--)
    if (cpu_runs(built[i])) return built[i];
  return built[0];
}

static const IsaKernels *current = NULL;

const IsaKernels *flows_isa(void) {
  if (!current) current = best();
  return current;
}

// The names of the built paths the CPU runs (runnable 1) or of every built path (0), as a JavaScript array.
static napi_value path_names(napi_env env, int runnable) {
  napi_value list, name;
  napi_create_array(env, &list);
  uint32_t index = 0;
  for (int i = 0; i < BUILT_COUNT; i++) {
    if (runnable && !cpu_runs(built[i])) continue;
    napi_create_string_utf8(env, built[i]->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, list, index++, name);
  }
  return list;
}

// isaPaths(): { built: [names], runnable: [names] }, baseline first.
napi_value flows_isa_paths(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "built", path_names(env, 0));
  napi_set_named_property(env, result, "runnable", path_names(env, 1));
  return result;
}

// Appends the names of the paths (all built, or those the CPU runs) to `out`, comma-separated.
static void list_names(char *out, size_t size, int runnable) {
  out[0] = 0;
  for (int i = 0; i < BUILT_COUNT; i++) {
    if (runnable && !cpu_runs(built[i])) continue;
    if (out[0]) strncat(out, ", ", size - strlen(out) - 1);
    strncat(out, built[i]->name, size - strlen(out) - 1);
  }
}

// isa(name?): with a name ('auto': the best the CPU runs), makes that path run from now on;
// returns the path in use. A path this build lacks or this CPU cannot run is refused with an
// error naming the paths there are, and the one in use is kept.
napi_value flows_set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) {
    char wanted[32], names[128], message[320];
    size_t length = 0;
    if (napi_get_value_string_utf8(env, argv[0], wanted, sizeof wanted, &length) != napi_ok) {
      napi_throw_type_error(env, NULL, "flows_blas.isa: the path must be a string");
      return NULL;
    }
    const IsaKernels *chosen = NULL;
    if (strcmp(wanted, "auto") == 0) chosen = best();
    for (int i = 0; i < BUILT_COUNT && !chosen; i++)
      if (strcmp(wanted, built[i]->name) == 0) chosen = built[i];
    if (!chosen) {
      list_names(names, sizeof names, 0);
      snprintf(message, sizeof message, "flows_blas.isa: no '%s' path in this build (it has: %s, or auto)", wanted, names);
      napi_throw_range_error(env, NULL, message);
      return NULL;
    }
    if (!cpu_runs(chosen)) {
      list_names(names, sizeof names, 1);
      snprintf(message, sizeof message, "flows_blas.isa: this CPU cannot run the '%s' path (it runs: %s)", wanted, names);
      napi_throw_range_error(env, NULL, message);
      return NULL;
    }
    current = chosen;
  }
  napi_value result;
  napi_create_string_utf8(env, flows_isa()->name, NAPI_AUTO_LENGTH, &result);
  return result;
}
