/* kernels_rnn_cl.h — OpenCL C source of the fused RNN op's gate math
 * (opencl_rnn.c), appended once per element type T like CL_GENERIC. The
 * GEMMs (input projections, h2h products, BPTT, weight gradients) are the
 * module's GEMM; these kernels do the per-element work of one time step,
 * one work item per (batch row n, hidden unit j). Every buffer argument
 * comes with an element offset (slices of the reserve, the parameter vector
 * or the states) and row strides where rows are not contiguous. The math is
 * core/ops/rnn_kernels.h's, so results match the CPU op. */
#ifndef MXCORE_OPENCL_KERNELS_RNN_CL_H
#define MXCORE_OPENCL_KERNELS_RNN_CL_H

static const char CL_RNN[] =
    "#define RSIG(v) (1 / (1 + exp(-(v))))\n"
    /* gates (TN, Gn) += i2h bias (+ h2h bias for the first Gb columns) */
    "__kernel void FN(rnn_bias)(__global T *Gt, long go, __global const T *P, long bxo, long rows, long Gn, long Gb) {\n"
    "  long i = GID; if (i >= rows * Gn) return; long j = i % Gn;\n"
    "  Gt[go + i] += P[bxo + j] + (j < Gb ? P[bxo + Gn + j] : (T)0); }\n"
    /* LSTM step: activate the gates in place, cell and hidden output */
    "__kernel void FN(lstm_fw)(__global T *Gt, long go, __global const T *Cp, long cpo, __global T *Ct, long cto,\n"
    "                          __global T *Y, long yo, long ldo, long N, long H, T lo, T hi) {\n"
    "  long i = GID; if (i >= N * H) return; long n = i / H, j = i % H; __global T *g = Gt + go + n * 4 * H;\n"
    "  T ig = RSIG(g[j]), fg = RSIG(g[H + j]), gg = tanh(g[2 * H + j]), og = RSIG(g[3 * H + j]);\n"
    "  T cv = fg * Cp[cpo + n * H + j] + ig * gg; cv = cv < lo ? lo : cv; cv = cv > hi ? hi : cv;\n"
    "  Ct[cto + n * H + j] = cv; Y[yo + n * ldo + j] = og * tanh(cv);\n"
    "  g[j] = ig; g[H + j] = fg; g[2 * H + j] = gg; g[3 * H + j] = og; }\n"
    /* GRU step: HR = h_prev Wh^T (no bias); n = tanh(x_n + r * (HR_n + bh_n)) */
    "__kernel void FN(gru_fw)(__global T *Gt, long go, __global const T *HR, __global const T *P, long bhno,\n"
    "                         __global const T *Hp, long hpo, long ldp, __global T *HN, long hno,\n"
    "                         __global T *Y, long yo, long ldo, long N, long H) {\n"
    "  long i = GID; if (i >= N * H) return; long n = i / H, j = i % H;\n"
    "  __global T *g = Gt + go + n * 3 * H; __global const T *hr = HR + n * 3 * H;\n"
    "  T r = RSIG(g[j] + hr[j]), z = RSIG(g[H + j] + hr[H + j]), hnv = hr[2 * H + j] + P[bhno + j];\n"
    "  T nn = tanh(g[2 * H + j] + r * hnv);\n"
    "  Y[yo + n * ldo + j] = (1 - z) * nn + z * Hp[hpo + n * ldp + j]; HN[hno + n * H + j] = hnv;\n"
    "  g[j] = r; g[H + j] = z; g[2 * H + j] = nn; }\n"
    /* rnn_relu / rnn_tanh step */
    "__kernel void FN(rnn_act_fw)(__global T *Gt, long go, __global T *Y, long yo, long ldo, long N, long H, int relu) {\n"
    "  long i = GID; if (i >= N * H) return; long n = i / H, j = i % H; long k = go + n * H + j;\n"
    "  T a = relu ? (Gt[k] > 0 ? Gt[k] : (T)0) : tanh(Gt[k]); Gt[k] = a; Y[yo + n * ldo + j] = a; }\n"
    /* LSTM BPTT step: gate gradients (pre-activation) and the cell gradient
     * carried back in time (DC); DHv is the gradient of h from the step after */
    "__kernel void FN(lstm_bw)(__global const T *Gt, long go, __global const T *Ct, long cto, __global const T *Cp, long cpo,\n"
    "                          __global const T *DY, long dyo, long ldy, __global const T *DHv, __global T *DC,\n"
    "                          __global T *DG, long dgo, long N, long H) {\n"
    "  long i = GID; if (i >= N * H) return; long n = i / H, j = i % H; __global const T *g = Gt + go + n * 4 * H;\n"
    "  T ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];\n"
    "  T dhj = DY[dyo + n * ldy + j] + DHv[n * H + j], tc = tanh(Ct[cto + n * H + j]);\n"
    "  T dcj = DC[n * H + j] + dhj * og * (1 - tc * tc); __global T *o = DG + dgo + n * 4 * H;\n"
    "  o[j] = dcj * gg * ig * (1 - ig); o[H + j] = dcj * Cp[cpo + n * H + j] * fg * (1 - fg);\n"
    "  o[2 * H + j] = dcj * ig * (1 - gg * gg); o[3 * H + j] = dhj * tc * og * (1 - og); DC[n * H + j] = dcj * fg; }\n"
    /* GRU BPTT step: DG (input-side pre-activations), DR (h2h products),
     * DHv = the direct z path; the host adds DR Wh after */
    "__kernel void FN(gru_bw)(__global const T *Gt, long go, __global const T *HNt, long hno, __global const T *Hp, long hpo,\n"
    "                         long ldp, __global const T *DY, long dyo, long ldy, __global T *DHv, __global T *DG, long dgo,\n"
    "                         __global T *DR, long dro, long N, long H) {\n"
    "  long i = GID; if (i >= N * H) return; long n = i / H, j = i % H; __global const T *g = Gt + go + n * 3 * H;\n"
    "  T r = g[j], z = g[H + j], nn = g[2 * H + j], dhj = DY[dyo + n * ldy + j] + DHv[n * H + j];\n"
    "  T dan = dhj * (1 - z) * (1 - nn * nn), daz = dhj * (Hp[hpo + n * ldp + j] - nn) * z * (1 - z);\n"
    "  T dar = dan * HNt[hno + n * H + j] * r * (1 - r);\n"
    "  __global T *o = DG + dgo + n * 3 * H, *q = DR + dro + n * 3 * H;\n"
    "  o[j] = dar; o[H + j] = daz; o[2 * H + j] = dan; q[j] = dar; q[H + j] = daz; q[2 * H + j] = dan * r;\n"
    "  DHv[n * H + j] = dhj * z; }\n"
    "__kernel void FN(rnn_act_bw)(__global const T *Gt, long go, __global const T *DY, long dyo, long ldy,\n"
    "                             __global const T *DHv, __global T *DG, long dgo, long N, long H, int relu) {\n"
    "  long i = GID; if (i >= N * H) return; long n = i / H, j = i % H; T a = Gt[go + n * H + j];\n"
    "  T s = DY[dyo + n * ldy + j] + DHv[n * H + j]; DG[dgo + n * H + j] = relu ? (a > 0 ? s : (T)0) : s * (1 - a * a); }\n"
    /* O[oo + j] = sum over rows of the (R, Gn) matrix A */
    "__kernel void FN(rnn_col_sum)(__global const T *A, long R, long Gn, __global T *O, long oo) {\n"
    "  long j = GID; if (j >= Gn) return; T s = 0; for (long r = 0; r < R; r++) s += A[r * Gn + j]; O[oo + j] = s; }\n"
    /* rows x W block copy between strided row sets */
    "__kernel void FN(rnn_copy)(__global const T *S, long so, long lds, __global T *D, long dso, long ldd, long rows, long W) {\n"
    "  long i = GID; if (i >= rows * W) return; long r = i / W, j = i % W; D[dso + r * ldd + j] = S[so + r * lds + j]; }\n"
    "__kernel void FN(rnn_fill)(__global T *D, long dso, long n, T v) { long i = GID; if (i < n) D[dso + i] = v; }\n"
    /* rows whose sample ended before step t (LEN[n] <= t) take S's row, or 0 */
    "__kernel void FN(rnn_keep_rows)(__global T *D, long dso, long ldd, __global const T *S, long so, long lds, int has_s,\n"
    "                                __global const T *LEN, long lo, long t, long N, long W) {\n"
    "  long i = GID; if (i >= N * W) return; long n = i / W, j = i % W; if ((T)t < LEN[lo + n]) return;\n"
    "  D[dso + n * ldd + j] = has_s ? S[so + n * lds + j] : (T)0; }\n"
    /* dropout between layers, the CPU op's stream: element e keeps iff word
     * e % 4 of Philox(seed, offset + e / 4) >= thr = ceil(p * 2^32) */
    "__kernel void FN(rnn_dropout)(__global const T *S, long so, __global T *D, long dso, long n, long base, ulong seed,\n"
    "                              ulong offset, ulong thr, T scale) {\n"
    "  long i = GID; if (i >= n) return; ulong e = (ulong)(base + i); uint w[4]; philox4x32(seed, offset + e / 4, w);\n"
    "  D[dso + i] = (ulong)w[e % 4] >= thr ? S[so + i] * scale : (T)0; }\n"
    "#undef RSIG\n";

#endif
