/* vec_libm.h — libm functions the elementwise kernels call, declared so that
 * GCC vectorizes their loops with glibc's vector math library (libmvec).
 *
 * Why: a loop calling sinf(x) per element runs the scalar libm routine one
 * value at a time (sin of 1M floats: 3.0 ms; numpy, with its own SIMD code:
 * 0.6 ms). glibc ships vector versions of these functions (libmvec, reached
 * through libm's linker script) under the vector-function ABI names
 * (_ZGVeN16v_sinf is sinf on 16 floats with AVX-512). Declaring a function
 * with GCC's simd attribute tells the vectorizer those versions exist, and
 * each MXI_CPU_CLONES clone calls the one for its ISA. libmvec's documented
 * accuracy is within 4 ulp (glibc manual, "Errors in Math Functions"); it
 * handles NaN, infinities and huge arguments (e.g. sin(1e30)) as the
 * scalar routines do.
 *
 * CMake defines MXCORE_LIBMVEC to what the C library links: 1 for glibc
 * 2.22's set (exp, log, sin, cos, pow), 2 for glibc 2.35's additions (tan,
 * the inverse and hyperbolic functions, cbrt, expm1, log2, log10, ...). Other
 * compilers and C libraries get the plain declarations: same results within
 * libm's accuracy, scalar speed.
 *
 * MXI_SIN(x) etc. pick the float function for a float argument (sinf) and the
 * double one otherwise, so a kernel written once for any T computes in T. */
#ifndef MXCORE_CORE_OPS_VEC_LIBM_H
#define MXCORE_CORE_OPS_VEC_LIBM_H

#include <math.h>

#ifndef MXCORE_LIBMVEC
#define MXCORE_LIBMVEC 0
#endif
#if !defined(__GNUC__) || defined(__clang__) || !defined(__x86_64__)
#undef MXCORE_LIBMVEC
#define MXCORE_LIBMVEC 0
#endif

/* the names in parentheses: <tgmath.h> may define them as function-like macros */
#define MXI_VEC_DECL1(name) float(name##f)(float) __attribute__((simd("notinbranch"))); \
    double(name)(double) __attribute__((simd("notinbranch")));
#define MXI_VEC_DECL2(name) float(name##f)(float, float) __attribute__((simd("notinbranch"))); \
    double(name)(double, double) __attribute__((simd("notinbranch")));

#if MXCORE_LIBMVEC >= 1
MXI_VEC_DECL1(exp) /* float kernels use fast_mathf.h's inline expf/logf; double ones these */
MXI_VEC_DECL1(log)
MXI_VEC_DECL1(sin)
MXI_VEC_DECL1(cos)
MXI_VEC_DECL2(pow)
#endif
#if MXCORE_LIBMVEC >= 2
MXI_VEC_DECL1(tan)
MXI_VEC_DECL1(asin)
MXI_VEC_DECL1(acos)
MXI_VEC_DECL1(atan)
MXI_VEC_DECL1(sinh)
MXI_VEC_DECL1(cosh)
MXI_VEC_DECL1(asinh)
MXI_VEC_DECL1(acosh)
MXI_VEC_DECL1(atanh)
MXI_VEC_DECL1(cbrt)
MXI_VEC_DECL1(expm1)
MXI_VEC_DECL1(log2)
MXI_VEC_DECL1(log10)
MXI_VEC_DECL2(atan2)
MXI_VEC_DECL2(hypot)
#endif
#undef MXI_VEC_DECL1
#undef MXI_VEC_DECL2

#define MXI_SIN(x) _Generic((x), float: sinf, default: sin)(x)
#define MXI_COS(x) _Generic((x), float: cosf, default: cos)(x)
#define MXI_TAN(x) _Generic((x), float: tanf, default: tan)(x)
#define MXI_ASIN(x) _Generic((x), float: asinf, default: asin)(x)
#define MXI_ACOS(x) _Generic((x), float: acosf, default: acos)(x)
#define MXI_ATAN(x) _Generic((x), float: atanf, default: atan)(x)
#define MXI_SINH(x) _Generic((x), float: sinhf, default: sinh)(x)
#define MXI_COSH(x) _Generic((x), float: coshf, default: cosh)(x)
#define MXI_ASINH(x) _Generic((x), float: asinhf, default: asinh)(x)
#define MXI_ACOSH(x) _Generic((x), float: acoshf, default: acosh)(x)
#define MXI_ATANH(x) _Generic((x), float: atanhf, default: atanh)(x)
#define MXI_CBRT(x) _Generic((x), float: cbrtf, default: cbrt)(x)
#define MXI_EXPM1(x) _Generic((x), float: expm1f, default: expm1)(x)
#define MXI_LOG2(x) _Generic((x), float: log2f, default: log2)(x)
#define MXI_LOG10(x) _Generic((x), float: log10f, default: log10)(x)
/* two arguments of the same type T (the kernels' x and y) */
#define MXI_POW(x, y) _Generic((x), float: powf, default: pow)(x, y)
#define MXI_ATAN2(x, y) _Generic((x), float: atan2f, default: atan2)(x, y)
#define MXI_HYPOT(x, y) _Generic((x), float: hypotf, default: hypot)(x, y)

#endif
