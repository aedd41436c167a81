/* kernels_cl.h — OpenCL C source of the OpenCL backend, as C string pieces.
 *
 * The program is assembled at run time (opencl_backend.c, build_source):
 *   CL_PRELUDE                      macros, parameter structs, the BIN/UN templates
 *   for each element type T (float; double when the device has cl_khr_fp64):
 *     "#define T ... #define SFX ..."
 *     CL_GENERIC                    reductions, softmax, GEMM, losses, updates
 *     one BIN(...) line per row of BINARY_OPS, one UN(...) per row of UNARY_OPS
 * so every elementwise and broadcast kernel comes from the two templates
 * below; kernel names end in _f (float) or _d (double). */
#ifndef MXCORE_OPENCL_KERNELS_CL_H
#define MXCORE_OPENCL_KERNELS_CL_H

#define MXCL_MAXD 6 /* dims after collapsing (host and device agree) */

static const char CL_PRELUDE[] =
    "#define MAXD 6\n"
    "typedef struct { long nd; long shape[MAXD]; long sa[MAXD]; long sb[MAXD]; } bc_t;\n"
    "typedef struct { long nk; long ks[MAXD]; long kst[MAXD]; long nr; long rs[MAXD]; long rst[MAXD]; } rd_t;\n"
    "typedef struct { long N, C, F, G; long in[3], out[3], k[3], s[3], d[3], p[3]; } cg_t;\n"
    "typedef struct { long planes; long in[3], out[3], k[3], s[3], p[3]; long type, cip; } pg_t;\n"
    /* Philox4x32-10, the same stream as core/rng.c mxi_philox */
    "void philox4x32(ulong seed, ulong ctr, uint *out) {\n"
    "  uint c0 = (uint)ctr, c1 = (uint)(ctr >> 32), c2 = 0, c3 = 0, k0 = (uint)seed, k1 = (uint)(seed >> 32);\n"
    "  for (int r = 0; r < 10; r++) { uint hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;\n"
    "    uint hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;\n"
    "    uint n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0; c0 = n0; c1 = n1; c2 = n2; c3 = n3;\n"
    "    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }\n"
    "  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3; }\n"
    "#define PASTE_(a, b) a##b\n"
    "#define PASTE(a, b) PASTE_(a, b)\n"
    "#define FN(n) PASTE(n, SFX)\n"
    "#define GID ((long)get_global_id(0))\n"
    /* binary template: same-shape, broadcast, tensor-scalar and scalar-tensor */
    "#define BIN(NAME, EXPR) \\\n"
    "__kernel void FN(NAME##_ew)(__global const T *A, __global const T *B, __global T *Y, long n) { \\\n"
    "  long i = GID; if (i < n) { T a = A[i], b = B[i]; Y[i] = (T)(EXPR); } } \\\n"
    "__kernel void FN(NAME##_bc)(__global const T *A, __global const T *B, __global T *Y, long n, bc_t p) { \\\n"
    "  long i = GID; if (i >= n) return; long r = i, ia = 0, ib = 0; \\\n"
    "  for (int d = (int)p.nd - 1; d >= 0; d--) { long c = r % p.shape[d]; r /= p.shape[d]; ia += c * p.sa[d]; ib += c * p.sb[d]; } \\\n"
    "  T a = A[ia], b = B[ib]; Y[i] = (T)(EXPR); } \\\n"
    "__kernel void FN(NAME##_sc)(__global const T *A, __global T *Y, long n, T b) { \\\n"
    "  long i = GID; if (i < n) { T a = A[i]; Y[i] = (T)(EXPR); } } \\\n"
    "__kernel void FN(NAME##_rsc)(__global const T *B, __global T *Y, long n, T a) { \\\n"
    "  long i = GID; if (i < n) { T b = B[i]; Y[i] = (T)(EXPR); } }\n"
    /* unary template: forward y = F(x) and backward gi = og * F'(x, y) */
    "#define UN(NAME, F, DER) \\\n"
    "__kernel void FN(NAME##_fw)(__global const T *X, __global T *Y, long n) { \\\n"
    "  long i = GID; if (i < n) { T x = X[i]; Y[i] = (T)(F); } } \\\n"
    "__kernel void FN(NAME##_bw)(__global const T *G, __global const T *X, __global const T *Y, __global T *O, long n) { \\\n"
    "  long i = GID; if (i < n) { T x = X[i], y = Y[i]; O[i] = G[i] * (T)(DER); } }\n"
    "#define SIGM(v) (1 / (1 + exp(-(v))))\n"
    "#define SOFTPLUS(v) ((v) > 20 ? (v) : log1p(exp(v)))\n"
    "#define FMODP(a, b) ((b) == 0 ? 0 : ((fmod(a, b) != 0 && ((fmod(a, b) < 0) != ((b) < 0))) ? fmod(a, b) + (b) : fmod(a, b)))\n";

/* Cast between element types, one kernel per (source, destination) pair in
 * MXCL_CASTS, named cast_<src>_<dst> with letters h half, f float, d double,
 * i int, l long, b uchar. half is a storage type here (vload_half /
 * vstore_half_rte are core OpenCL, no cl_khr_fp16 needed); conversions to
 * half round to nearest even like the CPU's. The source may start at an
 * element offset. Pairs with d are built only where the device has fp64. */
static const char CL_CAST[] =
    "#define CLD_h(p, i) vload_half((i), (p))\n"
    "#define CST_h(p, i, v) vstore_half_rte((float)(v), (i), (p))\n"
    "#define CLD_x(p, i) ((p)[i])\n"
    "#define CST_x(p, i, v) ((p)[i] = (v))\n"
    "#define CAST(SN, S, LDK, DN, D, CV, STK) \\\n"
    "__kernel void cast_##SN##_##DN(__global const S *X, long xo, __global D *Y, long n) \\\n"
    "  { long i = GID; if (i < n) CST_##STK(Y, i, (CV)CLD_##LDK(X, xo + i)); }\n";
/* X(src letter, src type, load kind, dst letter, dst type, value type,
 * store kind, needs fp64, src dtype, dst dtype) */
#define MXCL_CASTS(X)                                                  \
    X(h, half, h, f, float, float, x, 0, MXB_F16, MXB_F32)             \
    X(f, float, x, h, half, float, h, 0, MXB_F32, MXB_F16)             \
    X(i, int, x, f, float, float, x, 0, MXB_I32, MXB_F32)              \
    X(l, long, x, f, float, float, x, 0, MXB_I64, MXB_F32)             \
    X(b, uchar, x, f, float, float, x, 0, MXB_U8, MXB_F32)             \
    X(i, int, x, h, half, float, h, 0, MXB_I32, MXB_F16)               \
    X(l, long, x, h, half, float, h, 0, MXB_I64, MXB_F16)              \
    X(b, uchar, x, h, half, float, h, 0, MXB_U8, MXB_F16)              \
    X(f, float, x, i, int, int, x, 0, MXB_F32, MXB_I32)                \
    X(f, float, x, l, long, long, x, 0, MXB_F32, MXB_I64)              \
    X(f, float, x, b, uchar, uchar, x, 0, MXB_F32, MXB_U8)             \
    X(d, double, x, f, float, float, x, 1, MXB_F64, MXB_F32)           \
    X(f, float, x, d, double, double, x, 1, MXB_F32, MXB_F64)          \
    X(d, double, x, h, half, float, h, 1, MXB_F64, MXB_F16)            \
    X(h, half, h, d, double, double, x, 1, MXB_F16, MXB_F64)

/* Strided views (transpose, slice, flip, depth_to_space, ...; the core
 * plans them, backend_registry.c run_view_kernel): element i of the
 * contiguous side sits at off + sum(coord_d * st[d]) of the strided side.
 * One kernel per element size, so every dtype is covered. */
static const char CL_VIEW[] =
    "typedef struct { long nd; long shape[MAXD]; long st[MAXD]; long off; } vw_t;\n"
    "#define VIEW_K(SZ, UT) \\\n"
    "__kernel void view_gather_##SZ(__global const UT *S, __global UT *D, long n, vw_t p) { \\\n"
    "  long i = GID; if (i >= n) return; long r = i, o = p.off; \\\n"
    "  for (int d = (int)p.nd - 1; d >= 0; d--) { long c = r % p.shape[d]; r /= p.shape[d]; o += c * p.st[d]; } D[i] = S[o]; } \\\n"
    "__kernel void view_scatter_##SZ(__global const UT *G, __global UT *D, long n, vw_t p) { \\\n"
    "  long i = GID; if (i >= n) return; long r = i, o = p.off; \\\n"
    "  for (int d = (int)p.nd - 1; d >= 0; d--) { long c = r % p.shape[d]; r /= p.shape[d]; o += c * p.st[d]; } D[o] = G[i]; }\n"
    "VIEW_K(1, uchar)\nVIEW_K(2, ushort)\nVIEW_K(4, uint)\nVIEW_K(8, ulong)\n";

/* Kernels written once per element type T (not per op). */
static const char CL_GENERIC[] =
    "__kernel void FN(fill)(__global T *Y, long n, T v) { long i = GID; if (i < n) Y[i] = v; }\n"
    "__kernel void FN(bcast)(__global const T *A, __global T *Y, long n, bc_t p) {\n"
    "  long i = GID; if (i >= n) return; long r = i, ia = 0;\n"
    "  for (int d = (int)p.nd - 1; d >= 0; d--) { long c = r % p.shape[d]; r /= p.shape[d]; ia += c * p.sa[d]; }\n"
    "  Y[i] = A[ia]; }\n"
    /* parametrised activations, kind = index in core/ops/activation.c ACT_LIST
     * (5 log_sigmoid, 6 mish, 7 hard_sigmoid, 8 gelu, 9 swish, 10 leaky,
     * 11 elu, 12 selu, 13 rrelu at its mean slope); a, b its parameters */
    "#define SELU_L K(1.0507009873554804934193349852946)\n"
    "#define SELU_A K(1.6732632423543772848170429916717)\n"
    "#define INV_SQRT2 K(0.70710678118654752440)\n"
    "#define INV_SQRT2PI K(0.39894228040143267794)\n"
    "__kernel void FN(act_p)(__global const T *X, __global T *Y, long n, int kind, T a, T b) {\n"
    "  long i = GID; if (i >= n) return; T x = X[i], r = x, v;\n"
    "  switch (kind) {\n"
    "  case 5: r = x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); break;\n"
    "  case 6: r = x * tanh(SOFTPLUS(x)); break;\n"
    "  case 7: v = a * x + b; r = v < 0 ? 0 : (v > 1 ? 1 : v); break;\n"
    "  case 8: r = K(0.5) * x * (1 + erf(x * INV_SQRT2)); break;\n"
    "  case 9: r = x * SIGM(b * x); break;\n"
    "  case 10: r = x > 0 ? x : a * x; break;\n"
    "  case 11: r = x > 0 ? x : a * (exp(x) - 1); break;\n"
    "  case 12: r = x > 0 ? SELU_L * x : SELU_L * SELU_A * (exp(x) - 1); break;\n"
    "  case 13: r = x > 0 ? x : K(0.5) * (a + b) * x; break; }\n"
    "  Y[i] = r; }\n"
    "__kernel void FN(act_p_bw)(__global const T *G, __global const T *X, __global const T *Yv, __global T *O, long n,\n"
    "                           int kind, T a, T b) {\n"
    "  long i = GID; if (i >= n) return; T x = X[i], y = Yv[i], dv = 1, v, s, t;\n"
    "  switch (kind) {\n"
    "  case 5: dv = 1 / (1 + exp(x)); break;\n"
    "  case 6: t = tanh(SOFTPLUS(x)); dv = t + x * SIGM(x) * (1 - t * t); break;\n"
    "  case 7: v = a * x + b; dv = v > 0 && v < 1 ? a : 0; break;\n"
    "  case 8: dv = K(0.5) * (1 + erf(x * INV_SQRT2)) + x * INV_SQRT2PI * exp(K(-0.5) * x * x); break;\n"
    "  case 9: s = SIGM(b * x); dv = s + b * x * s * (1 - s); break;\n"
    "  case 10: dv = x > 0 ? 1 : a; break;\n"
    "  case 11: dv = x > 0 ? 1 : y + a; break;\n"
    "  case 12: dv = x > 0 ? SELU_L : y + SELU_L * SELU_A; break;\n"
    "  case 13: dv = x > 0 ? 1 : (x < 0 ? y / x : K(0.5) * (a + b)); break; }\n"
    "  O[i] = G[i] * dv; }\n"
    "#undef SELU_L\n#undef SELU_A\n#undef INV_SQRT2\n#undef INV_SQRT2PI\n"
    /* argmax (mx 1) / argmin along (outer, n, inner): indices in the data's
     * dtype (MXNet 1.x), the first NaN wins like the CPU op */
    "__kernel void FN(argext)(__global const T *X, __global T *O, long outer, long n, long inner, int mx) {\n"
    "  long i = GID; if (i >= outer * inner) return; long o = i / inner, j = i % inner;\n"
    "  __global const T *p = X + o * n * inner + j; long best = 0; T bv = p[0];\n"
    "  for (long k = 1; k < n; k++) { T v = p[k * inner];\n"
    "    if (mx ? (v > bv || (isnan(bv) ? 0 : isnan(v))) : (v < bv || (isnan(bv) ? 0 : isnan(v)))) { bv = v; best = k; } }\n"
    "  O[i] = (T)best; }\n"
    "__kernel void FN(clip)(__global const T *X, __global T *Y, long n, T lo, T hi) {\n"
    "  long i = GID; if (i >= n) return; T x = X[i]; x = x < lo ? lo : x; Y[i] = x > hi ? hi : x; }\n"
    /* where: condition per element, or per row (inner elements) for a 1-d condition */
    "__kernel void FN(where)(__global const T *Cd, __global const T *X, __global const T *Yv, __global T *O, long n, long inner) {\n"
    "  long i = GID; if (i >= n) return; O[i] = Cd[i / inner] != 0 ? X[i] : Yv[i]; }\n"
    "__kernel void FN(axpy_into)(__global T *Y, __global const T *X, long n) { long i = GID; if (i < n) Y[i] += X[i]; }\n"
    /* reduction over the rd_t-described axes: one work item per output */
    "__kernel void FN(reduce)(__global const T *X, __global T *Y, long n_out, long n_red, rd_t p, int kind) {\n"
    "  long o = GID; if (o >= n_out) return; long base = 0, r = o;\n"
    "  for (int d = (int)p.nk - 1; d >= 0; d--) { long c = r % p.ks[d]; r /= p.ks[d]; base += c * p.kst[d]; }\n"
    "  T acc = kind == 2 ? -INFINITY : kind == 3 ? INFINITY : kind == 4 ? 1 : 0;\n"
    "  for (long j = 0; j < n_red; j++) {\n"
    "    long q = j, off = base;\n"
    "    for (int d = (int)p.nr - 1; d >= 0; d--) { long c = q % p.rs[d]; q /= p.rs[d]; off += c * p.rst[d]; }\n"
    "    T v = X[off];\n"
    "    if (kind == 2) acc = (v > acc || isnan(v)) ? v : acc; else if (kind == 3) acc = (v < acc || isnan(v)) ? v : acc;\n"
    "    else if (kind == 4) acc *= v; else acc += v; }\n"
    "  if (kind == 1) acc = n_red ? acc / (T)n_red : (T)NAN;\n"
    "  Y[o] = acc; }\n"
    /* softmax family over axis: rows (outer, C, inner); mode 0 softmax, 1 log_softmax; sgn -1 = softmin */
    "__kernel void FN(softmax)(__global const T *X, __global T *Y, long outer, long C, long inner, T temp, int mode) {\n"
    "  long id = GID; if (id >= outer * inner) return; long o = id / inner, in = id % inner;\n"
    "  __global const T *x = X + o * C * inner + in; __global T *y = Y + o * C * inner + in;\n"
    "  T m = -INFINITY; for (long c = 0; c < C; c++) m = fmax(m, x[c * inner] / temp);\n"
    "  T s = 0; for (long c = 0; c < C; c++) s += exp(x[c * inner] / temp - m);\n"
    "  if (mode == 1) { T ls = log(s); for (long c = 0; c < C; c++) y[c * inner] = x[c * inner] / temp - m - ls; }\n"
    "  else for (long c = 0; c < C; c++) y[c * inner] = exp(x[c * inner] / temp - m) / s; }\n"
    "__kernel void FN(softmax_bw)(__global const T *G, __global const T *Yv, __global T *O, long outer, long C, long inner, T temp, int mode) {\n"
    "  long id = GID; if (id >= outer * inner) return; long o = id / inner, in = id % inner, b = o * C * inner + in;\n"
    "  T s = 0;\n"
    "  if (mode == 1) { for (long c = 0; c < C; c++) s += G[b + c * inner];\n"
    "    for (long c = 0; c < C; c++) O[b + c * inner] = (G[b + c * inner] - exp(Yv[b + c * inner]) * s) / temp; }\n"
    "  else { for (long c = 0; c < C; c++) s += G[b + c * inner] * Yv[b + c * inner];\n"
    "    for (long c = 0; c < C; c++) O[b + c * inner] = Yv[b + c * inner] * (G[b + c * inner] - s) / temp; } }\n"
    /* softmax cross-entropy: per-row loss then a serial sum (batch sizes are small) */
    "__kernel void FN(sce_rows)(__global const T *X, __global const T *L, __global T *R, long N, long C) {\n"
    "  long i = GID; if (i >= N) return; __global const T *x = X + i * C;\n"
    "  T m = -INFINITY; for (long c = 0; c < C; c++) m = fmax(m, x[c]);\n"
    "  T s = 0; for (long c = 0; c < C; c++) s += exp(x[c] - m);\n"
    "  long l = (long)L[i]; l = l < 0 ? 0 : (l >= C ? C - 1 : l);\n"
    "  R[i] = -(x[l] - m - log(s)); }\n"
    "__kernel void FN(sum_serial)(__global const T *R, __global T *Y, long n) {\n"
    "  if (GID != 0) return; T s = 0; for (long i = 0; i < n; i++) s += R[i]; Y[0] = s; }\n"
    "__kernel void FN(sce_bw)(__global const T *G, __global const T *X, __global const T *L, __global T *O, long N, long C) {\n"
    "  long i = GID; if (i >= N) return; __global const T *x = X + i * C; T g = G[0];\n"
    "  T m = -INFINITY; for (long c = 0; c < C; c++) m = fmax(m, x[c]);\n"
    "  T s = 0; for (long c = 0; c < C; c++) s += exp(x[c] - m);\n"
    "  long l = (long)L[i]; l = l < 0 ? 0 : (l >= C ? C - 1 : l);\n"
    "  for (long c = 0; c < C; c++) O[i * C + c] = (exp(x[c] - m) / s - (c == l ? 1 : 0)) * g; }\n"
    /* bias / column sums for FullyConnected */
    "__kernel void FN(add_row_bias)(__global T *Y, __global const T *Bv, long M, long H) {\n"
    "  long i = GID; if (i < M * H) Y[i] += Bv[i % H]; }\n"
    "__kernel void FN(col_sum)(__global const T *G, __global T *O, long M, long H) {\n"
    "  long h = GID; if (h >= H) return; T s = 0; for (long m = 0; m < M; m++) s += G[m * H + h]; O[h] = s; }\n"
    /* embedding: rows of W picked by (clipped) indices */
    "__kernel void FN(embedding)(__global const T *I, __global const T *W, __global T *O, long n, long D, long V) {\n"
    "  long i = GID; if (i >= n * D) return; long r = i / D, c = i % D; long k = (long)I[r];\n"
    "  k = k < 0 ? 0 : (k >= V ? V - 1 : k); O[i] = W[k * D + c]; }\n"
    /* embedding backward: one work item per column adds the rows in index
     * order, so no two items touch one element and the sums round like the CPU's */
    "__kernel void FN(embedding_bw)(__global const T *G, __global const T *I, __global T *O, long n, long D, long V) {\n"
    "  long j = GID; if (j >= D) return;\n"
    "  for (long i = 0; i < n; i++) { long k = (long)I[i]; k = k < 0 ? 0 : (k >= V ? V - 1 : k); O[k * D + j] += G[i * D + j]; } }\n"
    /* pick along an axis of (outer, n, inner) data, index clipped or wrapped;
     * backward: the picked positions get the gradient, the others 0 */
    "#define PICK_K(v) (wrap ? ((((long)floor(v)) % n) + n) % n : clamp((long)floor(v), 0L, n - 1))\n"
    "__kernel void FN(pick)(__global const T *X, __global const T *I, __global T *Y, long outer, long n, long inner, int wrap) {\n"
    "  long i = GID; if (i >= outer * inner) return; long o = i / inner, j = i % inner;\n"
    "  Y[i] = X[(o * n + PICK_K(I[i])) * inner + j]; }\n"
    "__kernel void FN(pick_bw)(__global const T *G, __global const T *I, __global T *DX, long outer, long n, long inner, int wrap) {\n"
    "  long i = GID; if (i >= outer * n * inner) return; long o = i / (n * inner), r = i % (n * inner), j = r % inner;\n"
    "  DX[i] = r / inner == PICK_K(I[o * inner + j]) ? G[o * inner + j] : (T)0; }\n"
    "#undef PICK_K\n"
    /* optimizers (MXNet semantics); state buffers updated in place at element offsets */
    "#define CLIPG(g, c) ((c) >= 0 ? clamp((g), -(c), (c)) : (g))\n"
    "__kernel void FN(sgd)(__global const T *W, __global const T *Gr, __global T *O, long n, T lr, T wd, T rs, T clip) {\n"
    "  long i = GID; if (i >= n) return; T g = CLIPG(rs * Gr[i], clip); O[i] = W[i] - lr * (g + wd * W[i]); }\n"
    "__kernel void FN(sgd_mom)(__global const T *W, __global const T *Gr, __global T *Mo, long mo_off, __global T *O, long n,\n"
    "                          T lr, T wd, T rs, T clip, T mom) {\n"
    "  long i = GID; if (i >= n) return; T g = CLIPG(rs * Gr[i], clip);\n"
    "  T m = mom * Mo[mo_off + i] - lr * (g + wd * W[i]); Mo[mo_off + i] = m; O[i] = W[i] + m; }\n"
    "__kernel void FN(adam)(__global const T *W, __global const T *Gr, __global T *Me, long me_off, __global T *Va, long va_off,\n"
    "                       __global T *O, long n, T lr, T wd, T rs, T clip, T b1, T b2, T eps) {\n"
    "  long i = GID; if (i >= n) return; T g = CLIPG(rs * Gr[i] + wd * W[i], clip);\n"
    "  T m = b1 * Me[me_off + i] + (1 - b1) * g; T v = b2 * Va[va_off + i] + (1 - b2) * g * g;\n"
    "  Me[me_off + i] = m; Va[va_off + i] = v; O[i] = W[i] - lr * m / (sqrt(v) + eps); }\n"
    /* tiled GEMM: C(M,N) = alpha * A(M,K) B(K,N) + beta * C, A(i,k) = A[ao + i*ars + k*acs];
     * ao/bo/co: element offsets into the buffers (every GEMM kernel takes them).
     * 64x64 output tile per 16x16 work group, 4x4 outputs per work item. */
    "#define TM 64\n#define TN 64\n#define TK 16\n"
    "__kernel __attribute__((reqd_work_group_size(16, 16, 1)))\n"
    "void FN(gemm)(long M, long N, long K, __global const T *A, long ao, long ars, long acs, __global const T *B, long bo,\n"
    "              long brs, long bcs, __global T *C, long co, T alpha, T beta) {\n"
    "  A += ao; B += bo; C += co;\n"
    "  __local T As[TK][TM]; __local T Bs[TK][TN];\n"
    "  int tx = get_local_id(0), ty = get_local_id(1), t = ty * 16 + tx;\n"
    "  long bm = (long)get_group_id(1) * TM, bn = (long)get_group_id(0) * TN;\n"
    "  T acc[4][4]; for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0;\n"
    "  for (long k0 = 0; k0 < K; k0 += TK) {\n"
    "    for (int l = 0; l < 4; l++) { int idx = t + l * 256;\n"
    "      int r = idx / TK, kk = idx % TK; long gi = bm + r, gk = k0 + kk;\n"
    "      As[kk][r] = (gi < M && gk < K) ? A[gi * ars + gk * acs] : (T)0;\n"
    "      int kb = idx / TN, cb = idx % TN; long gk2 = k0 + kb, gj = bn + cb;\n"
    "      Bs[kb][cb] = (gk2 < K && gj < N) ? B[gk2 * brs + gj * bcs] : (T)0; }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    for (int kk = 0; kk < TK; kk++) { T a[4], b[4];\n"
    "      for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];\n"
    "      for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];\n"
    "      for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j]; }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE); }\n"
    "  for (int i = 0; i < 4; i++) { long r = bm + ty + 16 * i; if (r >= M) continue;\n"
    "    for (int j = 0; j < 4; j++) { long c = bn + tx + 16 * j; if (c >= N) continue;\n"
    "      C[r * N + c] = alpha * acc[i][j] + (beta != 0 ? beta * C[r * N + c] : (T)0); } } }\n";

/* NN layers (Convolution, Pooling, BatchNorm, Dropout), once per element type
 * T; ACC is the accumulation type (double where the device has fp64, as the
 * CPU ops accumulate statistics in double). Spatial geometry is always 3-D
 * (1-D/2-D use leading size-1 dims), as in core/ops/conv.c and pooling.c. */
static const char CL_NN[] =
    /* direct convolution, one work item per output / input / weight element */
    "__kernel void FN(conv_fw)(__global const T *X, __global const T *W, __global const T *Bv, __global T *Y, cg_t g, int has_bias) {\n"
    "  long i = GID, OSP = g.out[0] * g.out[1] * g.out[2]; if (i >= g.N * g.F * OSP) return;\n"
    "  long sp = i % OSP, nf = i / OSP, f = nf % g.F, n = nf / g.F;\n"
    "  long ow = sp % g.out[2], oh = (sp / g.out[2]) % g.out[1], od = sp / (g.out[2] * g.out[1]);\n"
    "  long Cg = g.C / g.G, Fg = g.F / g.G, grp = f / Fg, KK = g.k[0] * g.k[1] * g.k[2];\n"
    "  T acc = 0;\n"
    "  for (long c = 0; c < Cg; c++) { long ci = grp * Cg + c;\n"
    "    __global const T *x = X + (n * g.C + ci) * g.in[0] * g.in[1] * g.in[2]; __global const T *w = W + (f * Cg + c) * KK;\n"
    "    for (long kd = 0; kd < g.k[0]; kd++) { long id = od * g.s[0] - g.p[0] + kd * g.d[0]; if (id < 0 || id >= g.in[0]) continue;\n"
    "      for (long kh = 0; kh < g.k[1]; kh++) { long ih = oh * g.s[1] - g.p[1] + kh * g.d[1]; if (ih < 0 || ih >= g.in[1]) continue;\n"
    "        for (long kw = 0; kw < g.k[2]; kw++) { long iw = ow * g.s[2] - g.p[2] + kw * g.d[2]; if (iw < 0 || iw >= g.in[2]) continue;\n"
    "          acc += x[(id * g.in[1] + ih) * g.in[2] + iw] * w[(kd * g.k[1] + kh) * g.k[2] + kw]; } } } }\n"
    "  Y[i] = has_bias ? acc + Bv[f] : acc; }\n"
    "__kernel void FN(conv_bw_data)(__global const T *DY, __global const T *W, __global T *DX, cg_t g) {\n"
    "  long ISP = g.in[0] * g.in[1] * g.in[2], OSP = g.out[0] * g.out[1] * g.out[2], i = GID; if (i >= g.N * g.C * ISP) return;\n"
    "  long sp = i % ISP, nc = i / ISP, ci = nc % g.C, n = nc / g.C;\n"
    "  long iw = sp % g.in[2], ih = (sp / g.in[2]) % g.in[1], id = sp / (g.in[2] * g.in[1]);\n"
    "  long Cg = g.C / g.G, Fg = g.F / g.G, grp = ci / Cg, c = ci % Cg, KK = g.k[0] * g.k[1] * g.k[2];\n"
    "  T acc = 0;\n"
    "  for (long fl = 0; fl < Fg; fl++) { long f = grp * Fg + fl;\n"
    "    __global const T *dy = DY + (n * g.F + f) * OSP; __global const T *w = W + (f * Cg + c) * KK;\n"
    "    for (long kd = 0; kd < g.k[0]; kd++) { long td = id + g.p[0] - kd * g.d[0]; if (td < 0 || td % g.s[0]) continue; long od = td / g.s[0]; if (od >= g.out[0]) continue;\n"
    "      for (long kh = 0; kh < g.k[1]; kh++) { long th = ih + g.p[1] - kh * g.d[1]; if (th < 0 || th % g.s[1]) continue; long oh = th / g.s[1]; if (oh >= g.out[1]) continue;\n"
    "        for (long kw = 0; kw < g.k[2]; kw++) { long tw = iw + g.p[2] - kw * g.d[2]; if (tw < 0 || tw % g.s[2]) continue; long ow = tw / g.s[2]; if (ow >= g.out[2]) continue;\n"
    "          acc += dy[(od * g.out[1] + oh) * g.out[2] + ow] * w[(kd * g.k[1] + kh) * g.k[2] + kw]; } } } }\n"
    "  DX[i] = acc; }\n"
    "__kernel void FN(conv_bw_weight)(__global const T *X, __global const T *DY, __global T *DW, cg_t g) {\n"
    "  long Cg = g.C / g.G, Fg = g.F / g.G, KK = g.k[0] * g.k[1] * g.k[2], i = GID; if (i >= g.F * Cg * KK) return;\n"
    "  long kk = i % KK, fc = i / KK, c = fc % Cg, f = fc / Cg, ci = (f / Fg) * Cg + c;\n"
    "  long kw = kk % g.k[2], kh = (kk / g.k[2]) % g.k[1], kd = kk / (g.k[2] * g.k[1]);\n"
    "  long ISP = g.in[0] * g.in[1] * g.in[2], OSP = g.out[0] * g.out[1] * g.out[2];\n"
    "  T acc = 0;\n"
    "  for (long n = 0; n < g.N; n++) { __global const T *x = X + (n * g.C + ci) * ISP; __global const T *dy = DY + (n * g.F + f) * OSP;\n"
    "    for (long od = 0; od < g.out[0]; od++) { long id = od * g.s[0] - g.p[0] + kd * g.d[0]; if (id < 0 || id >= g.in[0]) continue;\n"
    "      for (long oh = 0; oh < g.out[1]; oh++) { long ih = oh * g.s[1] - g.p[1] + kh * g.d[1]; if (ih < 0 || ih >= g.in[1]) continue;\n"
    "        for (long ow = 0; ow < g.out[2]; ow++) { long iw = ow * g.s[2] - g.p[2] + kw * g.d[2]; if (iw < 0 || iw >= g.in[2]) continue;\n"
    "          acc += dy[(od * g.out[1] + oh) * g.out[2] + ow] * x[(id * g.in[1] + ih) * g.in[2] + iw]; } } } }\n"
    "  DW[i] = acc; }\n"
    "__kernel void FN(chan_sum)(__global const T *G, __global T *O, long N, long C, long SP) {\n"
    "  long c = GID; if (c >= C) return; T s = 0;\n"
    "  for (long n = 0; n < N; n++) for (long j = 0; j < SP; j++) s += G[(n * C + c) * SP + j]; O[c] = s; }\n"
    /* pooling: forward per output; backward gathers, per input element, the
     * windows that contain it (max: only where it is the window's first argmax) */
    "#define PWIN(o, dim, lo, hi, pd) { long a_ = (o) * g.s[dim] - g.p[dim], b_ = a_ + g.k[dim]; if (b_ > g.in[dim] + g.p[dim]) b_ = g.in[dim] + g.p[dim];\\\n"
    "  pd = b_ - a_; lo = a_ < 0 ? 0 : a_; hi = b_ > g.in[dim] ? g.in[dim] : b_; }\n"
    "__kernel void FN(pool_fw)(__global const T *X, __global T *Y, pg_t g) {\n"
    "  long OSP = g.out[0] * g.out[1] * g.out[2], i = GID; if (i >= g.planes * OSP) return;\n"
    "  long sp = i % OSP, pl = i / OSP, ow = sp % g.out[2], oh = (sp / g.out[2]) % g.out[1], od = sp / (g.out[2] * g.out[1]);\n"
    "  __global const T *x = X + pl * g.in[0] * g.in[1] * g.in[2];\n"
    "  long d0, d1, pd, h0, h1, ph, w0, w1, pw; PWIN(od, 0, d0, d1, pd) PWIN(oh, 1, h0, h1, ph) PWIN(ow, 2, w0, w1, pw)\n"
    "  T r;\n"
    "  if (g.type == 0) { T m = -INFINITY;\n"
    "    for (long d = d0; d < d1; d++) for (long h = h0; h < h1; h++) for (long w = w0; w < w1; w++) { T v = x[(d * g.in[1] + h) * g.in[2] + w]; m = v > m ? v : m; }\n"
    "    r = m; }\n"
    "  else { T s = 0; for (long d = d0; d < d1; d++) for (long h = h0; h < h1; h++) for (long w = w0; w < w1; w++) s += x[(d * g.in[1] + h) * g.in[2] + w];\n"
    "    if (g.type == 1) { long cnt = g.cip ? pd * ph * pw : (d1 - d0) * (h1 - h0) * (w1 - w0); s = cnt > 0 ? s / (T)cnt : 0; }\n"
    "    r = s; }\n"
    "  Y[i] = r; }\n"
    "__kernel void FN(pool_bw)(__global const T *DY, __global const T *X, __global T *DX, pg_t g) {\n"
    "  long ISP = g.in[0] * g.in[1] * g.in[2], OSP = g.out[0] * g.out[1] * g.out[2], i = GID; if (i >= g.planes * ISP) return;\n"
    "  long sp = i % ISP, pl = i / ISP, iw = sp % g.in[2], ih = (sp / g.in[2]) % g.in[1], id = sp / (g.in[2] * g.in[1]);\n"
    "  __global const T *x = X + pl * ISP; __global const T *dy = DY + pl * OSP;\n"
    "  long lo[3], hi[3], pos[3] = {id, ih, iw};\n"
    "  for (int k = 0; k < 3; k++) { long t = pos[k] + g.p[k] - g.k[k] + 1; lo[k] = t <= 0 ? 0 : (t + g.s[k] - 1) / g.s[k];\n"
    "    hi[k] = (pos[k] + g.p[k]) / g.s[k]; if (hi[k] > g.out[k] - 1) hi[k] = g.out[k] - 1; }\n"
    "  T acc = 0;\n"
    "  for (long od = lo[0]; od <= hi[0]; od++) { long d0, d1, pd; PWIN(od, 0, d0, d1, pd) if (id < d0 || id >= d1) continue;\n"
    "    for (long oh = lo[1]; oh <= hi[1]; oh++) { long h0, h1, ph; PWIN(oh, 1, h0, h1, ph) if (ih < h0 || ih >= h1) continue;\n"
    "      for (long ow = lo[2]; ow <= hi[2]; ow++) { long w0, w1, pw; PWIN(ow, 2, w0, w1, pw) if (iw < w0 || iw >= w1) continue;\n"
    "        T gy = dy[(od * g.out[1] + oh) * g.out[2] + ow];\n"
    "        if (g.type == 0) { T m = -INFINITY; long arg = -1;\n"
    "          for (long d = d0; d < d1; d++) for (long h = h0; h < h1; h++) for (long w = w0; w < w1; w++) {\n"
    "            T v = x[(d * g.in[1] + h) * g.in[2] + w]; if (v > m || arg < 0) { m = v; arg = (d * g.in[1] + h) * g.in[2] + w; } }\n"
    "          if (arg == sp) acc += gy; }\n"
    "        else if (g.type == 1) { long cnt = g.cip ? pd * ph * pw : (d1 - d0) * (h1 - h0) * (w1 - w0); acc += cnt > 0 ? gy / (T)cnt : 0; }\n"
    "        else acc += gy; } } }\n"
    "  DX[i] = acc; }\n"
    /* BatchNorm: one work item per channel; statistics in ACC like the CPU op. The moving
     * statistics are only read here: BatchNorm's backward updates them (core/ops/norm.c) */
    "__kernel void FN(bn_fw)(__global const T *X, __global const T *Ga, __global const T *Be, __global T *MM, long mm_off,\n"
    "                        __global T *MV, long mv_off, __global T *Y, __global T *Mo, __global T *Vo,\n"
    "                        long outer, long C, long inner, ACC eps, int train, int fix_gamma) {\n"
    "  long ch = GID; if (ch >= C) return; ACC cnt = (ACC)(outer * inner), m, v;\n"
    "  if (train) { ACC s = 0; for (long o = 0; o < outer; o++) for (long j = 0; j < inner; j++) s += X[(o * C + ch) * inner + j];\n"
    "    m = cnt > 0 ? s / cnt : 0; ACC q = 0;\n"
    "    for (long o = 0; o < outer; o++) for (long j = 0; j < inner; j++) { ACC dd = X[(o * C + ch) * inner + j] - m; q += dd * dd; }\n"
    "    v = cnt > 0 ? q / cnt : 0; }\n"
    "  else { m = MM[mm_off + ch]; v = MV[mv_off + ch]; }\n"
    "  ACC inv = 1 / sqrt(v + (ACC)eps), gm = fix_gamma ? 1 : (ACC)Ga[ch];\n"
    "  T sc = (T)(gm * inv), sh = (T)((ACC)Be[ch] - m * gm * inv);\n"
    "  for (long o = 0; o < outer; o++) for (long j = 0; j < inner; j++) { long k = (o * C + ch) * inner + j; Y[k] = X[k] * sc + sh; }\n"
    "  Mo[ch] = (T)m; Vo[ch] = (T)inv; }\n"
    "__kernel void FN(bn_bw)(__global const T *G, __global const T *X, __global const T *Ga, __global const T *Me, __global const T *Va,\n"
    "                        __global T *DX, __global T *DG, __global T *DB, long outer, long C, long inner, ACC eps,\n"
    "                        int fix_gamma, int compute_stats) {\n"
    "  long ch = GID; if (ch >= C) return; ACC cnt = (ACC)(outer * inner), m = Me[ch], inv = 1 / sqrt((ACC)Va[ch] + (ACC)eps);\n"
    "  ACC sg = 0, sgx = 0;\n"
    "  for (long o = 0; o < outer; o++) for (long j = 0; j < inner; j++) { long k = (o * C + ch) * inner + j; sg += G[k]; sgx += G[k] * (X[k] - m); }\n"
    "  ACC gm = fix_gamma ? 1 : (ACC)Ga[ch]; DB[ch] = (T)sg; DG[ch] = fix_gamma ? 0 : (T)(sgx * inv);\n"
    "  ACC a = gm * inv, bb = 0, cc = 0; if (compute_stats && cnt > 0) { bb = sg / cnt; cc = sgx * inv * inv / cnt; }\n"
    "  for (long o = 0; o < outer; o++) for (long j = 0; j < inner; j++) { long k = (o * C + ch) * inner + j; DX[k] = (T)(a * (G[k] - bb - (X[k] - m) * cc)); } }\n"
    /* Row normalisations (LayerNorm kind 0, InstanceNorm 1, GroupNorm 2), core/ops/norm.c: R rows of M
     * elements, element k of row r at (r / inner) * M * inner + r % inner + k * inner; each row is nseg
     * segments of pdiv elements sharing affine parameter pbase(r) + segment. One work item per row. */
    "#define RN_BASE(r) (((r) / inner) * M * inner + (r) % inner)\n"
    "#define RN_PBASE(r) (kind == 1 ? (r) % C : kind == 2 ? ((r) % NG) * (C / NG) : 0)\n"
    "__kernel void FN(rn_fw)(__global const T *X, __global const T *Ga, __global const T *Be, __global T *Y,\n"
    "                        __global T *MEAN, __global T *STD, long R, long M, long inner, long pdiv, int kind,\n"
    "                        long C, long NG, ACC eps) {\n"
    "  long r = GID; if (r >= R) return; long base = RN_BASE(r), nseg = pdiv ? M / pdiv : 0;\n"
    "  ACC s = 0, v = 0; for (long k = 0; k < M; k++) s += X[base + k * inner];\n"
    "  ACC m = M ? s / (ACC)M : 0;\n"
    "  for (long k = 0; k < M; k++) { ACC dd = X[base + k * inner] - m; v += dd * dd; }\n"
    "  ACC sd = sqrt((M ? v / (ACC)M : 0) + eps), inv = 1 / sd; MEAN[r] = (T)m; STD[r] = (T)sd;\n"
    "  long pb = RN_PBASE(r);\n"
    "  for (long sg = 0; sg < nseg; sg++) { ACC ga = (ACC)Ga[pb + sg] * inv; T sc = (T)ga, sh = (T)((ACC)Be[pb + sg] - m * ga);\n"
    "    for (long t = 0; t < pdiv; t++) { long k = base + (sg * pdiv + t) * inner; Y[k] = X[k] * sc + sh; } } }\n"
    /* dx = inv * (gp - mean(gp) - xhat * mean(gp * xhat)), gp = g * gamma */
    "__kernel void FN(rn_bw)(__global const T *G, __global const T *X, __global const T *Ga, __global const T *MEAN,\n"
    "                        __global const T *STD, __global T *DX, long R, long M, long inner, long pdiv, int kind,\n"
    "                        long C, long NG) {\n"
    "  long r = GID; if (r >= R) return; long base = RN_BASE(r), nseg = pdiv ? M / pdiv : 0, pb = RN_PBASE(r);\n"
    "  ACC m = MEAN[r], inv = 1 / (ACC)STD[r], s1 = 0, s2 = 0;\n"
    "  for (long sg = 0; sg < nseg; sg++) { ACC ga = Ga[pb + sg];\n"
    "    for (long t = 0; t < pdiv; t++) { long k = base + (sg * pdiv + t) * inner; ACC gp = G[k] * ga;\n"
    "      s1 += gp; s2 += gp * (X[k] - m) * inv; } }\n"
    "  s1 /= (ACC)M; s2 /= (ACC)M;\n"
    "  for (long sg = 0; sg < nseg; sg++) { ACC ga = Ga[pb + sg];\n"
    "    for (long t = 0; t < pdiv; t++) { long k = base + (sg * pdiv + t) * inner;\n"
    "      DX[k] = (T)(inv * (G[k] * ga - s1 - (X[k] - m) * inv * s2)); } } }\n"
    /* dgamma/dbeta: one work item per parameter p, summing its rows in increasing order like the CPU */
    "__kernel void FN(rn_pgrad)(__global const T *G, __global const T *X, __global const T *MEAN, __global const T *STD,\n"
    "                           __global T *DG, __global T *DB, long R, long M, long inner, long pdiv, int kind,\n"
    "                           long C, long NG) {\n"
    "  long p = GID; if (p >= C) return; long r0, step, sg;\n"
    "  if (kind == 0) { r0 = 0; step = 1; sg = p; } else if (kind == 1) { r0 = p; step = C; sg = 0; }\n"
    "  else { long cg = C / NG; r0 = p / cg; step = NG; sg = p % cg; }\n"
    "  ACC dg = 0, db = 0;\n"
    "  for (long r = r0; r < R; r += step) { long base = RN_BASE(r); ACC m = MEAN[r], inv = 1 / (ACC)STD[r], a = 0, bb = 0;\n"
    "    for (long t = 0; t < pdiv; t++) { long k = base + (sg * pdiv + t) * inner; a += G[k] * (X[k] - m); bb += G[k]; }\n"
    "    dg += a * inv; db += bb; }\n"
    "  DG[p] = (T)dg; DB[p] = (T)db; }\n"
    "#undef RN_BASE\n"
    "#undef RN_PBASE\n"
    /* Dropout mask from the CPU's Philox stream: keep iff the 53-bit uniform integer >= thr = ceil(p * 2^53) */
    "__kernel void FN(dropout_mask)(__global T *Mk, long n, ulong seed, ulong offset, ulong thr, T scale) {\n"
    "  long i = GID; if (i >= n) return; uint w[4]; philox4x32(seed, offset + (ulong)i, w);\n"
    "  ulong x = (((ulong)w[0] << 21) ^ (ulong)(w[1] >> 11)) & ((1UL << 53) - 1); Mk[i] = x >= thr ? scale : (T)0; }\n";

/* GEMM for CPU-like devices (PoCL, ...): A and B are first packed into
 * zero-padded panels (A: MR rows x K, B: K x NR columns, both contiguous in
 * the order the micro-kernel reads them), then each work item computes one
 * MR x NR block of C in registers: NV vectors of 16 T per row, one scalar of A
 * broadcast per row and k. The packing also absorbs transposes/strides and
 * ragged edges, so the inner loop has no bounds checks. GEMM_MR and GEMM_NV
 * come from the host (opencl_backend.c, gemm_tile). */
static const char CL_GEMM_PACKED[] =
    "#define GEMM_NR (16 * GEMM_NV)\n"
    "#define TV PASTE(T, 16)\n"
    "__kernel void FN(pack_a)(__global const T *A, long ao, long ars, long acs, long M, long K, __global T *Ap, long n) {\n"
    "  long g = GID; if (g >= n) return; A += ao; long r = g % GEMM_MR, k = (g / GEMM_MR) % K, i = (g / (GEMM_MR * K)) * GEMM_MR + r;\n"
    "  Ap[g] = i < M ? A[i * ars + k * acs] : (T)0; }\n"
    "__kernel void FN(pack_b)(__global const T *B, long bo, long brs, long bcs, long K, long N, __global T *Bp, long n) {\n"
    "  long g = GID; if (g >= n) return; B += bo; long c = g % GEMM_NR, k = (g / GEMM_NR) % K, j = (g / (GEMM_NR * K)) * GEMM_NR + c;\n"
    "  Bp[g] = j < N ? B[k * brs + j * bcs] : (T)0; }\n"
    "__kernel void FN(gemm_packed)(long M, long N, long K, __global const T *Ap, __global const T *Bp, __global T *C, long co,\n"
    "                              T alpha, T beta) {\n"
    "  long ip = get_global_id(0), jp = get_global_id(1); C += co;\n"
    "  __global const T *a = Ap + ip * K * GEMM_MR; __global const T *b = Bp + jp * K * GEMM_NR;\n"
    "  TV acc[GEMM_MR][GEMM_NV];\n"
    "  _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) acc[r][v] = (TV)0;\n"
    "  for (long k = 0; k < K; k++) {\n"
    "    TV bv[GEMM_NV];\n"
    "    _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) bv[v] = vload16(v, b + k * GEMM_NR);\n"
    "    _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) { TV av = (TV)a[k * GEMM_MR + r];\n"
    "      _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) acc[r][v] = fma(av, bv[v], acc[r][v]); } }\n"
    "  _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) { long i = ip * GEMM_MR + r; if (i >= M) break;\n"
    "    _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) { long j0 = jp * GEMM_NR + v * 16; __global T *c = C + i * N + j0;\n"
    "      if (j0 + 16 <= N && beta == 0) vstore16(alpha * acc[r][v], 0, c);\n"
    "      else { T t[16]; vstore16(acc[r][v], 0, t);\n"
    "        for (int q = 0; q < 16 && j0 + q < N; q++) c[q] = alpha * t[q] + (beta != 0 ? beta * c[q] : (T)0); } } } }\n"
    /* small products: the same micro-kernel reading A (any strides) and a row-major B directly, no packing;
     * the host uses it only when N is a multiple of GEMM_NR; rows past M load row M - 1 and are not stored */
    "__kernel void FN(gemm_direct)(long M, long N, long K, __global const T *A, long ao, long ars, long acs,\n"
    "                              __global const T *B, long bo, long brs, __global T *C, long co, T alpha, T beta) {\n"
    "  long ip = get_global_id(0), jp = get_global_id(1); A += ao; C += co; __global const T *b = B + bo + jp * GEMM_NR;\n"
    "  __global const T *ar[GEMM_MR];\n"
    "  _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) ar[r] = A + min(ip * GEMM_MR + r, M - 1) * ars;\n"
    "  TV acc[GEMM_MR][GEMM_NV];\n"
    "  _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) acc[r][v] = (TV)0;\n"
    "  for (long k = 0; k < K; k++) {\n"
    "    TV bv[GEMM_NV];\n"
    "    _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) bv[v] = vload16(v, b + k * brs);\n"
    "    _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) { TV av = (TV)ar[r][k * acs];\n"
    "      _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) acc[r][v] = fma(av, bv[v], acc[r][v]); } }\n"
    "  _Pragma(\"unroll\") for (int r = 0; r < GEMM_MR; r++) { long i = ip * GEMM_MR + r; if (i >= M) break;\n"
    "    _Pragma(\"unroll\") for (int v = 0; v < GEMM_NV; v++) { __global T *c = C + i * N + jp * GEMM_NR + v * 16;\n"
    "      if (beta == 0) vstore16(alpha * acc[r][v], 0, c); else vstore16(alpha * acc[r][v] + beta * vload16(0, c), 0, c); } } }\n"
    "#undef TV\n#undef GEMM_NR\n";

/* the elementwise ops (MXB_BINARY_OPS, MXB_UNARY_OPS) are listed in
 * backends/common/elementwise_ops.h, shared with the CUDA module */

#endif
