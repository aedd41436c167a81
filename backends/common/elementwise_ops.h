/* elementwise_ops.h — the elementwise op families of the device modules,
 * written once: each module turns these lists into its own kernels, so the
 * OpenCL and CUDA modules implement the same ops with the same formulas.
 *
 * The expressions are C tokens. OpenCL stringifies them into its program
 * source (backends/opencl/kernels_cl.h defines the helpers there); CUDA
 * instantiates them as device functors (backends/cuda/cuda_backend.cu). Both
 * define the helpers the expressions use:
 *   K(v)          the literal v in the kernel's element type T
 *   SIGM(v)       logistic sigmoid      SOFTPLUS(v)  log(1 + exp(v)), stable
 *   FMODP(a, b)   modulo with the sign of b (numpy/MXNet `mod`), 0 when b == 0
 */
#ifndef MXCORE_BACKENDS_ELEMENTWISE_OPS_H
#define MXCORE_BACKENDS_ELEMENTWISE_OPS_H

/* X(kernel, expression of a and b, elemwise op, broadcast op, scalar op,
 *   reversed-scalar op or NULL) */
#define MXB_BINARY_OPS(X) \
    X(add, a + b, "elemwise_add", "broadcast_add", "_plus_scalar", NULL)                                        \
    X(sub, a - b, "elemwise_sub", "broadcast_sub", "_minus_scalar", "_rminus_scalar")                           \
    X(mul, a * b, "elemwise_mul", "broadcast_mul", "_mul_scalar", NULL)                                         \
    X(div, a / b, "elemwise_div", "broadcast_div", "_div_scalar", "_rdiv_scalar")                               \
    X(mod, FMODP(a, b), "_mod", "broadcast_mod", "_mod_scalar", "_rmod_scalar")                                 \
    X(power, pow(a, b), "_power", "broadcast_power", "_power_scalar", "_rpower_scalar")                         \
    X(maximum, (a > b || a != a) ? a : b, "_maximum", "broadcast_maximum", "_maximum_scalar", NULL)             \
    X(minimum, (a < b || a != a) ? a : b, "_minimum", "broadcast_minimum", "_minimum_scalar", NULL)             \
    X(hypot, hypot(a, b), "_hypot", "broadcast_hypot", "_hypot_scalar", NULL)                                   \
    X(equal, a == b, "_equal", "broadcast_equal", "_equal_scalar", NULL)                                        \
    X(not_equal, a != b, "_not_equal", "broadcast_not_equal", "_not_equal_scalar", NULL)                        \
    X(greater, a > b, "_greater", "broadcast_greater", "_greater_scalar", NULL)                                 \
    X(greater_equal, a >= b, "_greater_equal", "broadcast_greater_equal", "_greater_equal_scalar", NULL)        \
    X(lesser, a < b, "_lesser", "broadcast_lesser", "_lesser_scalar", NULL)                                     \
    X(lesser_equal, a <= b, "_lesser_equal", "broadcast_lesser_equal", "_lesser_equal_scalar", NULL)            \
    X(logical_and, (a != 0) && (b != 0), "_logical_and", "broadcast_logical_and", "_logical_and_scalar", NULL)  \
    X(logical_or, (a != 0) || (b != 0), "_logical_or", "broadcast_logical_or", "_logical_or_scalar", NULL)      \
    X(logical_xor, (a != 0) != (b != 0), "_logical_xor", "broadcast_logical_xor", "_logical_xor_scalar", NULL)

/* X(op name, forward of x, derivative of x and y = forward): the op gets a
 * forward kernel and `_backward_<op>` (ograd, data, output). */
#define MXB_UNARY_OPS(X) \
    X(abs, fabs(x), (x > 0) - (x < 0))                                        \
    X(sign, (x > 0) - (x < 0), 0)                                             \
    X(ceil, ceil(x), 0)                                                       \
    X(floor, floor(x), 0)                                                     \
    X(round, round(x), 0)                                                     \
    X(rint, (x - floor(x) <= ceil(x) - x ? floor(x) : ceil(x)), 0)           \
    X(trunc, trunc(x), 0)                                                     \
    X(fix, trunc(x), 0)                                                       \
    X(exp, exp(x), y)                                                         \
    X(expm1, expm1(x), y + 1)                                                 \
    X(log, log(x), 1 / x)                                                     \
    X(log10, log10(x), 1 / (x * K(2.302585092994045684)))                     \
    X(log2, log2(x), 1 / (x * K(0.693147180559945309)))                       \
    X(log1p, log1p(x), 1 / (1 + x))                                           \
    X(sqrt, sqrt(x), K(0.5) / y)                                              \
    X(rsqrt, rsqrt(x), K(-0.5) * y / x)                                       \
    X(cbrt, cbrt(x), 1 / (3 * y * y))                                         \
    X(rcbrt, 1 / cbrt(x), -y / (3 * x))                                       \
    X(square, x * x, 2 * x)                                                   \
    X(reciprocal, 1 / x, -y * y)                                              \
    X(negative, -x, -1)                                                       \
    X(sin, sin(x), cos(x))                                                    \
    X(cos, cos(x), -sin(x))                                                   \
    X(tan, tan(x), 1 + y * y)                                                 \
    X(arcsin, asin(x), 1 / sqrt(1 - x * x))                                   \
    X(arccos, acos(x), -1 / sqrt(1 - x * x))                                  \
    X(arctan, atan(x), 1 / (1 + x * x))                                       \
    X(sinh, sinh(x), cosh(x))                                                 \
    X(cosh, cosh(x), sinh(x))                                                 \
    X(tanh, tanh(x), 1 - y * y)                                               \
    X(arcsinh, asinh(x), 1 / sqrt(x * x + 1))                                 \
    X(arccosh, acosh(x), 1 / sqrt(x * x - 1))                                 \
    X(arctanh, atanh(x), 1 / (1 - x * x))                                     \
    X(degrees, x * K(57.295779513082320876798), K(57.295779513082320876798))  \
    X(radians, x * K(0.017453292519943295769), K(0.017453292519943295769))    \
    X(erf, erf(x), K(1.1283791670955126) * exp(-x * x))                       \
    X(logical_not, x == 0, 0)                                                 \
    X(identity, x, 1)                                                         \
    X(BlockGrad, x, 0)                                                        \
    X(make_loss, x, 1)                                                        \
    X(relu, (x > 0 || x != x) ? x : 0, x != x ? x : (x > 0 ? 1 : 0))         \
    X(sigmoid, SIGM(x), y * (1 - y))                                          \
    X(softrelu, SOFTPLUS(x), SIGM(x))                                         \
    X(softsign, x / (1 + fabs(x)), 1 / ((1 + fabs(x)) * (1 + fabs(x))))      

#endif
