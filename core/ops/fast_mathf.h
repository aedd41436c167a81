/* fast_mathf.h — exp, tanh, log and log1p for float32 that the compiler can
 * vectorize.
 *
 * libm's float functions are a call per element (no vector versions without
 * -ffast-math), which made softmax over 512-wide rows 6.6x slower than
 * PyTorch's and float32 exp/log ops 5-20x slower than numpy's. These are
 * inline arithmetic on the float's bits plus short polynomials, within a few
 * float ulps (each function says how many); kernels written once for float
 * and double reach them through MXI_EXP / MXI_TANH / MXI_LOG / MXI_LOG1P,
 * which pick libm's double functions for every other type.
 *
 * exp: exp(x) = 2^n * exp(r) with n = round(x / ln 2) and r = x - n ln 2
 * (ln 2 split in two parts so r is exact), exp(r) on [-ln2/2, ln2/2] by a
 * degree-6 polynomial (Taylor coefficients, whose truncation error there is
 * ~1e-8 relative), and 2^n built in the exponent bits. Relative error within
 * ~3 float ulps for x in [-87.34, 88.72]; 0 below (where exp underflows to
 * denormals), inf above, NaN for NaN. */
#ifndef MXCORE_CORE_OPS_FAST_MATHF_H
#define MXCORE_CORE_OPS_FAST_MATHF_H

#include <stdint.h>
#include <string.h>

static inline __attribute__((always_inline)) float mxi_expf(float x) {
    const float lo = -87.3365448f, hi = 88.7228394f; /* ln(FLT_MIN), ln(FLT_MAX) */
    /* clamped, NaN as 0 (its result is replaced below): keeps n in [-126, 128] */
    const float xc = x < lo ? lo : x > hi ? hi : x == x ? x : 0.0f;
    /* round to nearest through the float adder: exact for |v| < 2^22 */
    const float shifter = 12582912.0f; /* 1.5 * 2^23 */
    const float n = (xc * 1.44269504088896341f + shifter) - shifter;
    const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f; /* ln 2 = 0.693359375 - 2.12194440e-4 */
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* 2^n in the exponent bits; near the top (n = 128) as 2 * 2^127 */
    const float top = n > 0.0f ? 1.0f : 0.0f;
    const uint32_t bits = (uint32_t)((int32_t)(n - top) + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    const float v = p * (1.0f + top) * scale;
    return x != x ? x : x < lo ? 0.0f : x > hi ? (float)INFINITY : v;
}

/* tanh for float, vectorizable: the odd Taylor series for |x| < 0.25 (where
 * 1 - e^-2|x| would cancel), else (1 - e) / (1 + e) with e = e^-2|x|.
 * Within ~4 float ulps (the largest errors near |x| = 0.5, where 1 - e
 * still loses a bit or two); +-1 for large |x|, NaN for NaN. */
static inline __attribute__((always_inline)) float mxi_tanhf(float x) {
    float a = x < 0 ? -x : x;
    float e = mxi_expf(-2.0f * a);
    float t = (1.0f - e) / (1.0f + e);
    t = x < 0 ? -t : t;
    float x2 = x * x;
    float s = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835)))));
    return a < 0.25f ? s : t;
}

/* log: x = 2^e * m with m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| <= 0.172, by its odd series to s^9 (truncation
 * ~1e-9 relative); e ln 2 added with ln 2 split in two parts. Denormals are
 * scaled up first. Within ~2 float ulps; -inf at 0, NaN below 0 and for NaN,
 * inf at inf. */
static inline __attribute__((always_inline)) float mxi_logf(float x) {
    /* float-valued selects only: an int flag mixed into the arithmetic kept
     * loops that combine this with mxi_expf from vectorizing */
    const float small = x < 1.17549435e-38f ? 1.0f : 0.0f;
    const float xs = x * (small * 8388607.0f + 1.0f); /* denormals times 2^23 */
    uint32_t bits;
    memcpy(&bits, &xs, sizeof bits);
    /* exponent and mantissa with the mantissa moved into [sqrt(1/2), sqrt(2)) */
    const uint32_t shifted = bits + 0x004afb0du; /* + bits(1.0) - bits(sqrt(1/2)) */
    const int32_t e = (int32_t)(shifted >> 23) - 127;
    const uint32_t mb = (shifted & 0x007fffffu) + 0x3f3504f3u; /* bits(sqrt(1/2)) */
    float m;
    memcpy(&m, &mb, sizeof m);
    const float f = m - 1.0f, s = f / (2.0f + f), s2 = s * s;
    const float p = s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9))));
    const float lg = 2.0f * s + s * p; /* log(m) */
    const float ef = (float)e - small * 23.0f;
    const float v = ef * 0.693359375f + (lg + ef * -2.12194440e-4f);
    return x != x || x < 0 ? __builtin_nanf("") : x == 0 ? -(float)INFINITY : x == (float)INFINITY ? x : v;
}

/* log1p: log(u) for u = 1 + x, corrected by the rounding of the sum
 * ((u - 1) - x) / u (Goldberg's method), so tiny x give x. Within ~3 float
 * ulps; -inf at -1, NaN below -1 and for NaN, inf at inf. */
static inline __attribute__((always_inline)) float mxi_log1pf(float x) {
    const float u = 1.0f + x;
    const float d = u - 1.0f;
    const float lu = mxi_logf(u);
    const float v = lu - (d - x) / u;
    /* |x| below half an ulp of 1: log1p(x) = x; at u = 0 or inf the correction is 0/0 */
    return d == 0 ? x : (u == 0 || u == (float)INFINITY) ? lu : v;
}

/* log1p(t) for t in [0, 1] only (softplus's exp(-|x|)): the reduction of
 * mxi_logf without its special cases (u = 1 + t is in [1, 2]) and Goldberg's
 * correction, which gives t itself when 1 + t rounds to 1. No selects: GCC
 * would not vectorize loops that combine mxi_logf's with mxi_expf's. */
static inline __attribute__((always_inline)) float mxi_log1p01f(float t) {
    const float u = 1.0f + t;
    uint32_t bits;
    memcpy(&bits, &u, sizeof bits);
    const uint32_t shifted = bits + 0x004afb0du;
    const float ef = (float)((int32_t)(shifted >> 23) - 127);
    const uint32_t mb = (shifted & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &mb, sizeof m);
    const float f = m - 1.0f, s = f / (2.0f + f), s2 = s * s;
    const float p = s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9))));
    const float lu = ef * 0.693359375f + ((2.0f * s + s * p) + ef * -2.12194440e-4f);
    return lu - ((u - 1.0f) - t) / u;
}

/* softplus log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, NaN for
 * NaN, inf for inf; within ~3 float ulps. */
static inline __attribute__((always_inline)) float mxi_softplusf(float x) {
    const float ax = x < 0 ? -x : x;
    return (x > 0 ? x : 0.0f) + mxi_log1p01f(mxi_expf(-ax));
}

/* exp, tanh, log and log1p of an expression of any arithmetic type: float
 * goes to the inline versions above, everything else to libm's double ones. */
#define MXI_EXP(x) _Generic((x), float: mxi_expf, default: exp)(x)
#define MXI_TANH(x) _Generic((x), float: mxi_tanhf, default: tanh)(x)
#define MXI_LOG(x) _Generic((x), float: mxi_logf, default: log)(x)
#define MXI_LOG1P(x) _Generic((x), float: mxi_log1pf, default: log1p)(x)

#endif
