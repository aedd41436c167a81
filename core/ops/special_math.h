/* special_math.h — special functions the C library lacks, shared by the
 * kernels that need them (elemwise_unary.c: gamma/gammaln gradients;
 * random_pdf.c: gamma-family density gradients). */
#ifndef MXCORE_CORE_OPS_SPECIAL_MATH_H
#define MXCORE_CORE_OPS_SPECIAL_MATH_H

#include <math.h>

/* digamma (d/dx log Gamma(x)): reflection for negative x, recurrence up to
 * x >= 6, then the asymptotic series; NaN at the poles 0, -1, -2, ... */
static inline double mxi_digamma(double x) {
    const double pi = 3.14159265358979323846;
    if (x <= 0 && floor(x) == x) return NAN;
    if (x < 0) return mxi_digamma(1 - x) - pi / tan(pi * x);
    double r = 0;
    while (x < 6) {
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    return r + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

#endif
