/*
 * The half-band 2x upsampler's inner loop (halfband.ts says what the filter is and why), in C for
 * issue 14: V8 runs the 12-tap folded FIR one output at a time with a bounds check per load,
 * 12-13 ns per input sample, a fifth of the recorder thread at 16 kHz. Here the odd outputs of a
 * block are computed first into a contiguous array, a loop the compiler vectorizes across
 * outputs (SSE2 everywhere, AVX2 where the CPU has it, picked at load time by target_clones),
 * then rounded and stored at the caller's stride.
 *
 * Bit-exact with the TypeScript kernel, which stays as the fallback and the reference
 * (test/unit/recorder/halfband.test.ts compares them): the same doubles in the same order
 * (vectorizing across outputs keeps each output's order; the build passes -ffp-contract=off so
 * no multiply-add is fused), and Math.round's rounding (halves towards +infinity).
 * Node-API only, no state: the caller owns the history and the taps.
 */
#include <node_api.h>
#include <stdint.h>

#define K 12
#define HIST (2 * K - 1)
/* Odd outputs computed per block: 2 KiB of doubles on the stack. */
#define BLOCK 256

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* mid[i] = the point halfway between x[i + K - 1] and x[i + K], for i in [0, n). */
CLONES static void halfway(const float *restrict x, const double *restrict c, double *restrict mid, int n) {
  for (int i = 0; i < n; i++) {
    const float *p = x + i + K - 1;
    mid[i] = c[0] * ((double)p[0] + p[1]) + c[1] * ((double)p[-1] + p[2]) + c[2] * ((double)p[-2] + p[3]) +
             c[3] * ((double)p[-3] + p[4]) + c[4] * ((double)p[-4] + p[5]) + c[5] * ((double)p[-5] + p[6]) +
             c[6] * ((double)p[-6] + p[7]) + c[7] * ((double)p[-7] + p[8]) + c[8] * ((double)p[-8] + p[9]) +
             c[9] * ((double)p[-9] + p[10]) + c[10] * ((double)p[-10] + p[11]) + c[11] * ((double)p[-11] + p[12]);
  }
}

/*
 * Math.round (ECMA-262: the nearest integer, halves towards +infinity), then clamped to 16 bits.
 * Clamping first changes nothing (rounding is monotonic) and keeps the int conversion in range;
 * floor is the truncation stepped down for negatives, inline instead of a call to libm's.
 */
static int16_t round_clamp(double v) {
  if (v >= 32767) return 32767;
  if (v <= -32768) return -32768;
  double r = (double)(int32_t)v;
  if (r > v) r -= 1;
  if (v - r >= 0.5) r += 1;
  return (int16_t)r;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type t;
  return napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) == napi_ok && t == want;
}

static int int_arg(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/*
 * upsample(work: Float32Array, input: Int16Array, n, out: Int16Array, offset, stride, taps: Float64Array):
 * work holds HIST samples of history then room for n; input[0..n) is appended, out[offset +
 * 2i*stride] = x[i + K - 1] and out[offset + (2i + 1)*stride] = the point after it, and the last
 * HIST samples move to the front for the next call. Throws a TypeError / RangeError on bad
 * arguments instead of touching memory outside them.
 */
static napi_value js_upsample(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *w, *in, *o, *t;
  size_t wl, il, ol, tl;
  int32_t n, offset, stride;
  if (argc < 7 || !typed(env, argv[0], napi_float32_array, &w, &wl) || !typed(env, argv[1], napi_int16_array, &in, &il) ||
      !int_arg(env, argv[2], &n) || !typed(env, argv[3], napi_int16_array, &o, &ol) || !int_arg(env, argv[4], &offset) ||
      !int_arg(env, argv[5], &stride) || !typed(env, argv[6], napi_float64_array, &t, &tl)) {
    napi_throw_type_error(env, NULL, "upsample(work: Float32Array, input: Int16Array, n, out: Int16Array, offset, stride, taps: Float64Array)");
    return NULL;
  }
  if (n < 0 || offset < 0 || stride < 1 || tl != K || (size_t)n > il || wl < (size_t)HIST + (size_t)n ||
      (n > 0 && (size_t)offset + (2 * (size_t)n - 1) * (size_t)stride >= ol)) {
    napi_throw_range_error(env, NULL, "upsample: arrays too short for n, offset and stride, or not 12 taps");
    return NULL;
  }
  float *x = w;
  const int16_t *src = in;
  int16_t *dst = o;
  for (int32_t i = 0; i < n; i++) x[HIST + i] = src[i];
  double mid[BLOCK];
  size_t at = (size_t)offset, step = 2 * (size_t)stride;
  for (int32_t b = 0; b < n; b += BLOCK) {
    int len = n - b < BLOCK ? n - b : BLOCK;
    halfway(x + b, t, mid, len);
    for (int i = 0; i < len; i++, at += step) {
      dst[at] = (int16_t)x[b + i + K - 1];
      dst[at + (size_t)stride] = round_clamp(mid[i]);
    }
  }
  for (int i = 0; i < HIST; i++) x[i] = x[n + i];
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"upsample", NULL, js_upsample, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME halfband
#endif
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
