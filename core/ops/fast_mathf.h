/* fast_mathf.h — exp, tanh, log, log1p, softplus and erf for float32 that
 * the compiler can vectorize.
 *
 * libm's float functions are a call per element (no vector versions without
 * -ffast-math), which made softmax over 512-wide rows 6.6x slower than
 * PyTorch's and float32 exp/log ops 5-20x slower than numpy's. These are
 * inline arithmetic on the float's bits plus short polynomials, within a few
 * float ulps (each function says how many); kernels written once for float
 * and double reach them through MXI_EXP / MXI_TANH / MXI_LOG / MXI_LOG1P / MXI_ERF,
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

/* erf, and 2 Phi(x) = 1 + erf(x / sqrt 2) for GELU. For |z| < 0.875,
 * erf(z) = z * P(z^2); above, erfc(|z|) = exp(-z^2) * Q(t) with
 * t = 1 / (1 + |z| / 2). P (degree 6) and Q (degree 12) are least-squares
 * fits in relative error made for this file: erf(z)/z over [0, 0.875],
 * erfc(z) e^(z^2) over [0.875, 9.3] (fit error < 1e-10); erfc underflows
 * past 9.3. exp(-z^2) must see z^2 exactly (a rounded square cost ~60 ulps
 * at z = 9): mxi_exp_neg_sq splits v into hi (low 12 mantissa bits cleared,
 * so hi^2 is exact) and v - hi. */
static inline __attribute__((always_inline)) float mxi_erf_small(float az) { /* erf(az), az < 0.875 */
    const float z2 = az * az;
    float p = 8.776351067e-05f;
    p = p * z2 - 8.232948353e-04f;
    p = p * z2 + 5.208510338e-03f;
    p = p * z2 - 2.686223630e-02f;
    p = p * z2 + 1.128374381e-01f;
    p = p * z2 - 3.761263672e-01f;
    p = p * z2 + 1.128379167e+00f;
    return az * p;
}

static inline __attribute__((always_inline)) float mxi_erfc_q(float az) { /* erfc(az) e^(az^2), az >= 0.875 */
    const float t = 1.0f / (1.0f + 0.5f * az);
    float q = 5.530852961e-02f;
    q = q * t - 2.035351512e-01f;
    q = q * t + 2.446845502e-01f;
    q = q * t - 3.954854677e-02f;
    q = q * t - 7.813515850e-02f;
    q = q * t - 4.703607398e-02f;
    q = q * t + 1.196662694e-03f;
    q = q * t + 7.798060773e-02f;
    q = q * t + 1.785569344e-01f;
    q = q * t + 2.463345905e-01f;
    q = q * t + 2.821608089e-01f;
    q = q * t + 2.820899026e-01f;
    q = q * t + 1.563421114e-07f;
    return q;
}

/* exp(-v^2 * k) for k = 1 or 0.5 (exact scalings), v >= 0. The small part
 * d = (v - hi)(v + hi) k is below 2^-10 v^2 k (< 0.09 where the result is
 * not 0), so exp(-d) is its Taylor series to d^5 (error < 1e-9) instead of
 * a second mxi_expf. */
static inline __attribute__((always_inline)) float mxi_exp_neg_sq(float v, float k) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    b &= 0xFFFFF000u;
    float hi;
    memcpy(&hi, &b, sizeof hi);
    const float d = (v - hi) * (v + hi) * k;
    const float ed = 1.0f - d * (1.0f - d * (0.5f - d * (1.0f / 6 - d * (1.0f / 24 - d * (1.0f / 120)))));
    return mxi_expf(-hi * hi * k) * ed;
}

/* erf, within ~4 float ulps; odd, +-1 beyond |x| = 4, NaN for NaN. Both
 * branches are computed for every x and one selected, with no clamping of
 * their arguments: a clamp feeding mxi_expf kept GCC 12 from vectorizing
 * (out-of-range values only reach the branch that is not selected). */
static inline __attribute__((always_inline)) float mxi_erff(float x) {
    const float ax = x < 0 ? -x : x;
    const float small = mxi_erf_small(ax);
    const float tail = mxi_exp_neg_sq(ax, 1.0f) * mxi_erfc_q(ax);
    const float r = ax < 0.875f ? small : ax < 4.0f ? 1.0f - tail : 1.0f;
    return x != x ? x : x < 0 ? -r : r;
}

/* 2 Phi(x) = 1 + erf(x / sqrt 2), without cancellation for negative x
 * (erfc(|x| / sqrt 2) there, with exp(-x^2 / 2) from x itself): GELU's
 * 0.5 x (1 + erf(x / sqrt 2)) keeps its relative accuracy for x < -3.
 * Within ~10 float ulps; 2 above 5.7, NaN for NaN. */
static inline __attribute__((always_inline)) float mxi_two_phif(float x) {
    const float ax = x < 0 ? -x : x, az = ax * 0.707106781f;
    const float small = mxi_erf_small(az);
    const float tail = mxi_exp_neg_sq(ax, 0.5f) * mxi_erfc_q(az);
    const float pos = az < 0.875f ? 1.0f + small : az < 4.0f ? 2.0f - tail : 2.0f;
    const float neg = az < 0.875f ? 1.0f - small : tail;
    return x != x ? x : x < 0 ? neg : pos;
}

static inline double mxi_two_phi(double x) {
    return x < 0 ? erfc(-x * 0.70710678118654752440) : 1 + erf(x * 0.70710678118654752440);
}

/* exp, tanh, log, log1p and erf of an expression of any arithmetic type: float
 * goes to the inline versions above, everything else to libm's double ones. */
#define MXI_EXP(x) _Generic((x), float: mxi_expf, default: exp)(x)
#define MXI_TANH(x) _Generic((x), float: mxi_tanhf, default: tanh)(x)
#define MXI_LOG(x) _Generic((x), float: mxi_logf, default: log)(x)
#define MXI_LOG1P(x) _Generic((x), float: mxi_log1pf, default: log1p)(x)
#define MXI_ERF(x) _Generic((x), float: mxi_erff, default: erf)(x)
#define MXI_TWO_PHI(x) _Generic((x), float: mxi_two_phif, default: mxi_two_phi)(x)

#endif
