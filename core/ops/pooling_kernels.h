/* pooling_kernels.h — dtype-generic pooling kernels, included by pooling.c
 * once per dtype with T and SFX defined. Planes are 3-D (1-D/2-D pooling use
 * leading size-1 dims); one task per (n, c) plane. */
#define PK_CAT2(a, b) a##_##b
#define PK_CAT(a, b) PK_CAT2(a, b)
#define PK(name) PK_CAT(name, SFX)

typedef struct {
    const pool_geom *g;
    const T *x, *y, *dy;
    T *out;
} PK(pool_job);

/* window bounds along one dim: [lo, hi) clipped and the padded-window size */
static inline void PK(win)(int64_t o, int64_t s, int64_t p, int64_t k, int64_t in, int64_t *lo, int64_t *hi,
                           int64_t *padded) {
    int64_t a = o * s - p, b = a + k;
    if (b > in + p) b = in + p;
    *padded = b - a;
    *lo = a < 0 ? 0 : a;
    *hi = b > in ? in : b;
}

/* Max pooling of one 2-D plane whose windows all lie inside it (no padding,
 * no clipped last window): the common CNN case gets loops without per-window
 * bounds, and a dedicated 2x2 stride-2 body. Same comparisons, in the same
 * order, as the general loop below, so NaN handling and ties do not change. */
static void PK(max2d_fwd_plane)(const pool_geom *g, const T *x, T *y) {
    const int64_t IW = g->in[2], OH = g->out[1], OW = g->out[2];
    const int64_t kh = g->k[1], kw = g->k[2], sh = g->s[1], sw = g->s[2];
    for (int64_t oh = 0; oh < OH; oh++) {
        const T *r0 = x + oh * sh * IW;
        T *yr = y + oh * OW;
        if (kh == 2 && kw == 2 && sw == 2) {
            const T *r1 = r0 + IW;
            for (int64_t ow = 0; ow < OW; ow++) {
                T m = -INFINITY, a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
                m = a > m ? a : m;
                m = b > m ? b : m;
                m = c > m ? c : m;
                yr[ow] = d > m ? d : m;
            }
            continue;
        }
        for (int64_t ow = 0; ow < OW; ow++) {
            T m = -INFINITY;
            for (int64_t h = 0; h < kh; h++) {
                const T *row = r0 + h * IW + ow * sw;
                for (int64_t w = 0; w < kw; w++) m = row[w] > m ? row[w] : m;
            }
            yr[ow] = m;
        }
    }
}

/* Gradient of max2d_fwd_plane: each output's gradient goes to its window's
 * first maximum (dx is zeroed by the caller; += for overlapping windows). */
static void PK(max2d_bwd_plane)(const pool_geom *g, const T *x, const T *dy, T *dx) {
    const int64_t IW = g->in[2], OH = g->out[1], OW = g->out[2];
    const int64_t kh = g->k[1], kw = g->k[2], sh = g->s[1], sw = g->s[2];
    for (int64_t oh = 0; oh < OH; oh++) {
        const int64_t base = oh * sh * IW;
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t arg = base + ow * sw;
            T m = x[arg];
            for (int64_t h = 0; h < kh; h++) {
                const int64_t ro = base + h * IW + ow * sw;
                for (int64_t w = 0; w < kw; w++)
                    if (x[ro + w] > m) m = x[ro + w], arg = ro + w;
            }
            dx[arg] += dy[oh * OW + ow];
        }
    }
}

/* Sum of a whole contiguous plane over the lanes of a 64-byte GCC vector
 * (global average/sum pooling): one running sum was a dependent add per
 * element, and global pooling of ResNet's last maps took 3x PyTorch's time. */
typedef T PK(vec) __attribute__((vector_size(64)));
#define PK_LANES ((int64_t)(64 / sizeof(T)))

static T PK(plane_sum)(const T *x, int64_t n) {
    PK(vec) acc = {0};
    int64_t i = 0;
    for (; i + PK_LANES <= n; i += PK_LANES) {
        PK(vec) v;
        memcpy(&v, x + i, sizeof v);
        acc += v;
    }
    T s = 0;
    for (int64_t q = 0; q < PK_LANES; q++) s += acc[q];
    for (; i < n; i++) s += x[i];
    return s;
}
#undef PK_LANES

static void PK(pool_fwd_range)(void *ctx, int64_t b0, int64_t e0) {
    PK(pool_job) *j = ctx;
    const pool_geom *g = j->g;
    if (pool_is_global_sum(g)) {
        const int64_t ISP = g->in[0] * g->in[1] * g->in[2];
        const T scale = g->type == POOL_AVG ? (T)1 / (T)(ISP > 0 ? ISP : 1) : (T)1;
        for (int64_t t = b0; t < e0; t++) j->out[t] = ISP > 0 ? PK(plane_sum)(j->x + t * ISP, ISP) * scale : 0;
        return;
    }
    if (pool_is_max2d_inside(g)) {
        const int64_t ISP = g->in[1] * g->in[2], OSP = g->out[1] * g->out[2];
        for (int64_t t = b0; t < e0; t++) PK(max2d_fwd_plane)(g, j->x + t * ISP, j->out + t * OSP);
        return;
    }
    const int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], OD = g->out[0], OH = g->out[1], OW = g->out[2];
    const int64_t ISP = ID * IH * IW, OSP = OD * OH * OW;
    const double pv = (double)g->p_value;
    for (int64_t t = b0; t < e0; t++) {
        const T *x = j->x + t * ISP;
        T *y = j->out + t * OSP;
        for (int64_t od = 0; od < OD; od++) {
            int64_t d0, d1, pd;
            PK(win)(od, g->s[0], g->p[0], g->k[0], ID, &d0, &d1, &pd);
            for (int64_t oh = 0; oh < OH; oh++) {
                int64_t h0, h1, ph;
                PK(win)(oh, g->s[1], g->p[1], g->k[1], IH, &h0, &h1, &ph);
                for (int64_t ow = 0; ow < OW; ow++) {
                    int64_t w0, w1, pw;
                    PK(win)(ow, g->s[2], g->p[2], g->k[2], IW, &w0, &w1, &pw);
                    T r;
                    if (g->type == POOL_MAX) {
                        T m = -INFINITY;
                        for (int64_t d = d0; d < d1; d++)
                            for (int64_t h = h0; h < h1; h++) {
                                const T *row = x + (d * IH + h) * IW;
                                for (int64_t w = w0; w < w1; w++) m = row[w] > m ? row[w] : m;
                            }
                        r = m;
                    } else if (g->type == POOL_LP) {
                        double s = 0;
                        for (int64_t d = d0; d < d1; d++)
                            for (int64_t h = h0; h < h1; h++) {
                                const T *row = x + (d * IH + h) * IW;
                                for (int64_t w = w0; w < w1; w++) {
                                    double a = fabs((double)row[w]);
                                    s += pv == 1 ? a : pv == 2 ? a * a : pow(a, pv);
                                }
                            }
                        r = (T)(pv == 1 ? s : pv == 2 ? sqrt(s) : pow(s, 1.0 / pv));
                    } else {
                        T s = 0;
                        for (int64_t d = d0; d < d1; d++)
                            for (int64_t h = h0; h < h1; h++) {
                                const T *row = x + (d * IH + h) * IW;
                                for (int64_t w = w0; w < w1; w++) s += row[w];
                            }
                        if (g->type == POOL_AVG) {
                            int64_t cnt = g->count_include_pad ? pd * ph * pw : (d1 - d0) * (h1 - h0) * (w1 - w0);
                            s = cnt > 0 ? s / (T)cnt : 0;
                        }
                        r = s;
                    }
                    y[(od * OH + oh) * OW + ow] = r;
                }
            }
        }
    }
}

/* Index in the plane of the window's first maximum (-1 for an empty window):
 * the position max pooling's gradient goes to. */
static inline int64_t PK(window_argmax)(const pool_geom *g, const T *x, int64_t d0, int64_t d1, int64_t h0, int64_t h1,
                                        int64_t w0, int64_t w1) {
    const int64_t IH = g->in[1], IW = g->in[2];
    T m = -INFINITY;
    int64_t arg = -1;
    for (int64_t d = d0; d < d1; d++)
        for (int64_t h = h0; h < h1; h++) {
            const T *row = x + (d * IH + h) * IW;
            for (int64_t w = w0; w < w1; w++)
                if (row[w] > m || arg < 0) m = row[w], arg = (d * IH + h) * IW + w;
        }
    return arg;
}

/* max2d_bwd_plane for 2x2 windows at stride 2 (LeNet's, VGG's, ResNet's):
 * the windows tile the plane, so every element of dx is written once (the
 * window's first maximum gets the gradient, the others 0; rows and columns
 * past the last window get 0) and dx needs no zeroing pass. Selects instead
 * of branches: which element is the maximum is data, and mispredicted
 * branches made this pass 2x slower than its memory traffic. */
static MXI_CPU_CLONES void PK(max2x2_bwd_plane)(const pool_geom *g, const T *x, const T *dy, T *dx) {
    const int64_t IH = g->in[1], IW = g->in[2], OH = g->out[1], OW = g->out[2];
    for (int64_t oh = 0; oh < OH; oh++) {
        const T *r0 = x + 2 * oh * IW, *r1 = r0 + IW, *gy = dy + oh * OW;
        T *d0 = dx + 2 * oh * IW, *d1 = d0 + IW;
        for (int64_t ow = 0; ow < OW; ow++) {
            const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1], v = gy[ow];
            /* the running maximum's updates, in the order of the general loop;
             * the winner's flags as bit masks on v (GCC turns ?: into branches) */
            const T mab = b > a ? b : a, mabc = c > mab ? c : mab;
            const TI wb = (TI)(b > a), wc = (TI)(c > mab), wd = (TI)(d > mabc), one = 1;
            TI vb, o;
            memcpy(&vb, &v, sizeof vb);
            o = vb & -wd, memcpy(&d1[2 * ow + 1], &o, sizeof o);
            o = vb & -(wc & (one ^ wd)), memcpy(&d1[2 * ow], &o, sizeof o);
            o = vb & -(wb & (one ^ wc) & (one ^ wd)), memcpy(&d0[2 * ow + 1], &o, sizeof o);
            o = vb & -((one ^ wb) & (one ^ wc) & (one ^ wd)), memcpy(&d0[2 * ow], &o, sizeof o);
        }
        for (int64_t w = 2 * OW; w < IW; w++) d0[w] = d1[w] = 0;
    }
    memset(dx + 2 * OH * IW, 0, sizeof(T) * (size_t)((IH - 2 * OH) * IW));
}

static void PK(pool_bwd_range)(void *ctx, int64_t b0, int64_t e0) {
    PK(pool_job) *j = ctx;
    const pool_geom *g = j->g;
    const int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], OD = g->out[0], OH = g->out[1], OW = g->out[2];
    const int64_t ISP = ID * IH * IW, OSP = OD * OH * OW;
    const double pv = (double)g->p_value;
    for (int64_t t = b0; t < e0; t++) {
        const T *x = j->x + t * ISP, *y = j->y + t * OSP, *dy = j->dy + t * OSP;
        T *dx = j->out + t * ISP;
        if (pool_is_max2d_inside(g) && g->k[1] == 2 && g->k[2] == 2 && g->s[1] == 2 && g->s[2] == 2) {
            PK(max2x2_bwd_plane)(g, x, dy, dx);
            continue;
        }
        /* zeroed here, per plane and on the thread that fills it, not by the
         * core beforehand: one pass over dx while it is in cache */
        memset(dx, 0, sizeof(T) * (size_t)ISP);
        if (pool_is_max2d_inside(g)) {
            PK(max2d_bwd_plane)(g, x, dy, dx);
            continue;
        }
        for (int64_t od = 0; od < OD; od++) {
            int64_t d0, d1, pd;
            PK(win)(od, g->s[0], g->p[0], g->k[0], ID, &d0, &d1, &pd);
            for (int64_t oh = 0; oh < OH; oh++) {
                int64_t h0, h1, ph;
                PK(win)(oh, g->s[1], g->p[1], g->k[1], IH, &h0, &h1, &ph);
                for (int64_t ow = 0; ow < OW; ow++) {
                    int64_t w0, w1, pw;
                    PK(win)(ow, g->s[2], g->p[2], g->k[2], IW, &w0, &w1, &pw);
                    const int64_t oi = (od * OH + oh) * OW + ow;
                    const T gy = dy[oi];
                    if (g->type == POOL_MAX) {
                        const int64_t arg = PK(window_argmax)(g, x, d0, d1, h0, h1, w0, w1);
                        if (arg >= 0) dx[arg] += gy;
                        continue;
                    }
                    T scale = gy;
                    if (g->type == POOL_AVG) {
                        int64_t cnt = g->count_include_pad ? pd * ph * pw : (d1 - d0) * (h1 - h0) * (w1 - w0);
                        scale = cnt > 0 ? gy / (T)cnt : 0;
                    }
                    const double yv = (double)y[oi];
                    for (int64_t d = d0; d < d1; d++)
                        for (int64_t h = h0; h < h1; h++) {
                            T *row = dx + (d * IH + h) * IW;
                            const T *xr = x + (d * IH + h) * IW;
                            if (g->type == POOL_LP) {
                                for (int64_t w = w0; w < w1; w++) {
                                    double a = (double)xr[w], sg = a > 0 ? 1 : a < 0 ? -1 : 0;
                                    double gr = yv == 0 ? 0 : sg * pow(fabs(a) / yv, pv - 1);
                                    row[w] += (T)((double)gy * gr);
                                }
                            } else {
                                for (int64_t w = w0; w < w1; w++) row[w] += scale;
                            }
                        }
                }
            }
        }
    }
}

/* _pool_max_pick: out[o] = h[argmax of window o in x], the first maximum as
 * in pool_bwd_range (the adjoint of max pooling's backward, for second-order
 * gradients; windows may overlap). j->x = data, j->dy = h (data-shaped). */
static void PK(pool_pick_range)(void *ctx, int64_t b0, int64_t e0) {
    PK(pool_job) *j = ctx;
    const pool_geom *g = j->g;
    const int64_t OH = g->out[1], OW = g->out[2], ISP = g->in[0] * g->in[1] * g->in[2], OSP = g->out[0] * OH * OW;
    for (int64_t t = b0; t < e0; t++) {
        const T *x = j->x + t * ISP, *h = j->dy + t * ISP;
        for (int64_t o = 0; o < OSP; o++) {
            int64_t d0, d1, h0, h1, w0, w1, pad;
            PK(win)(o / (OH * OW), g->s[0], g->p[0], g->k[0], g->in[0], &d0, &d1, &pad);
            PK(win)(o / OW % OH, g->s[1], g->p[1], g->k[1], g->in[1], &h0, &h1, &pad);
            PK(win)(o % OW, g->s[2], g->p[2], g->k[2], g->in[2], &w0, &w1, &pad);
            const int64_t arg = PK(window_argmax)(g, x, d0, d1, h0, h1, w0, w1);
            j->out[t * OSP + o] = arg >= 0 ? h[arg] : 0;
        }
    }
}

#undef PK
#undef PK_CAT
#undef PK_CAT2
