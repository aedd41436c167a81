/* io.c — MXNet's NDArray list file format (nd.save / .params), dense only.
 *
 * File layout (all little-endian):
 *   uint64 0x112 (list magic), uint64 0 (reserved)
 *   uint64 n, then n array records
 *   uint64 m, then m names (uint64 length + bytes); m is 0 (list) or n (dict)
 * Array record, V2/V3: uint32 magic (0xF993FAC9 V2, 0xF993FACA V3), int32 stype
 *   (0 = dense; sparse is refused), shape (int32 ndim + int64 dims), and unless
 *   the array is "none" (V2: ndim 0, V3: ndim -1): int32 dev_type, int32 dev_id,
 *   int32 dtype flag, raw data (C order).
 * V1 (0xF993FAC8) has no stype; legacy records have no magic at all: the first
 * uint32 is ndim and dims are uint32.
 * We write V2, and V3 for 0-d tensors (V2 cannot express them). Every read is
 * bounds-checked: truncated or corrupt input fails with MX_ERR_IO. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tensor.h"

#define LIST_MAGIC 0x112ull
#define V1_MAGIC 0xF993FAC8u
#define V2_MAGIC 0xF993FAC9u
#define V3_MAGIC 0xF993FACAu
#define LOAD_MAGIC 0x10AD5E55u

struct mx_load_s {
    uint32_t magic;
    int n;
    mx_tensor_s **tensors;
    char **names;
};

/* ---- writer ---- */

typedef struct {
    FILE *f;
    int failed;
} writer;

static void put(writer *w, const void *p, size_t n) {
    if (!w->failed && n && fwrite(p, 1, n, w->f) != n) w->failed = 1;
}
static void put_u32(writer *w, uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}
static void put_u64(writer *w, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static int host_is_little(void) {
    uint16_t x = 1;
    return *(unsigned char *)&x == 1;
}

int mx_save(const char *path, const mx_tensor *tensors, const char *const *names, int n) {
    if (!path) return mxi_error(MX_ERR_INVALID, "mx_save: path is NULL");
    if (n < 0 || (n > 0 && !tensors)) return mxi_error(MX_ERR_INVALID, "mx_save: bad tensor list (n=%d)", n);
    if (!host_is_little()) return mxi_error(MX_ERR_UNSUPPORTED, "mx_save: big-endian hosts are not supported");
    for (int i = 0; i < n; i++) {
        if (!mxi_tensor_check(tensors[i], "mx_save")) return MX_ERR_HANDLE;
        if (names && !names[i]) return mxi_error(MX_ERR_INVALID, "mx_save: name %d is NULL", i);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return mxi_error(MX_ERR_IO, "mx_save: cannot open '%s' for writing", path);
    writer w = {f, 0};
    put_u64(&w, LIST_MAGIC);
    put_u64(&w, 0);
    put_u64(&w, (uint64_t)n);
    int rc = MX_OK;
    for (int i = 0; i < n && rc == MX_OK; i++) {
        mx_tensor_s *t = tensors[i];
        put_u32(&w, t->ndim == 0 ? V3_MAGIC : V2_MAGIC);
        put_u32(&w, 0); /* dense storage */
        put_u32(&w, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) put_u64(&w, (uint64_t)t->shape[d]);
        put_u32(&w, MX_DEV_CPU); /* saved arrays always load on the CPU */
        put_u32(&w, 0);
        put_u32(&w, (uint32_t)t->dtype);
        size_t nbytes = (size_t)t->size * mxi_dtype_size(t->dtype);
        if (nbytes) {
            void *buf = malloc(nbytes);
            if (!buf) { rc = mxi_error(MX_ERR_MEMORY, "mx_save: out of memory (%zu bytes)", nbytes); break; }
            rc = mx_tensor_copy_to_host(t, buf, nbytes);
            if (rc == MX_OK) put(&w, buf, nbytes);
            free(buf);
        }
    }
    if (rc == MX_OK) {
        put_u64(&w, names ? (uint64_t)n : 0);
        for (int i = 0; names && i < n; i++) {
            size_t len = strlen(names[i]);
            put_u64(&w, (uint64_t)len);
            put(&w, names[i], len);
        }
    }
    if (fclose(f) != 0) w.failed = 1;
    if (rc == MX_OK && w.failed) rc = mxi_error(MX_ERR_IO, "mx_save: write to '%s' failed (disk full?)", path);
    if (rc != MX_OK) remove(path);
    return rc;
}

/* ---- reader ---- */

typedef struct {
    const unsigned char *p;
    size_t n, pos;
    const char *src; /* for messages */
} reader;

static int need(reader *r, size_t k, const char *what) {
    if (r->n - r->pos < k)
        return mxi_error(MX_ERR_IO, "mx_load: %s is truncated: needed %zu more bytes for %s at offset %zu",
                         r->src, k, what, r->pos);
    return MX_OK;
}
static int get_u32(reader *r, uint32_t *v, const char *what) {
    MXI_TRY(need(r, 4, what));
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) x |= (uint32_t)r->p[r->pos + i] << (8 * i);
    r->pos += 4;
    *v = x;
    return MX_OK;
}
static int get_u64(reader *r, uint64_t *v, const char *what) {
    MXI_TRY(need(r, 8, what));
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += 8;
    *v = x;
    return MX_OK;
}

static void load_free(struct mx_load_s *L) {
    if (!L) return;
    for (int i = 0; i < L->n; i++) {
        mxi_tensor_release(L->tensors[i]);
        if (L->names) free(L->names[i]);
    }
    free(L->tensors);
    free(L->names);
    L->magic = MX_MAGIC_DEAD;
    free(L);
}

static int read_array(reader *r, int idx, mx_tensor_s **out) {
    uint32_t magic;
    MXI_TRY(get_u32(r, &magic, "array header"));
    int64_t shape[MX_MAX_NDIM];
    int ndim;
    int none = 0;
    if (magic == V2_MAGIC || magic == V3_MAGIC || magic == V1_MAGIC) {
        if (magic != V1_MAGIC) {
            uint32_t stype;
            MXI_TRY(get_u32(r, &stype, "storage type"));
            if (stype != 0)
                return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has sparse storage type %d; only dense arrays are supported",
                                 r->src, idx, (int)stype);
        }
        uint32_t nd;
        MXI_TRY(get_u32(r, &nd, "shape rank"));
        int32_t snd = (int32_t)nd;
        if (snd == -1 && magic == V3_MAGIC) {
            none = 1;
            ndim = 0;
        } else {
            if (snd < 0 || snd > MX_MAX_NDIM)
                return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has corrupt rank %d (max %d)", r->src, idx, snd, MX_MAX_NDIM);
            ndim = snd;
            if (ndim == 0 && magic != V3_MAGIC) none = 1;
            for (int d = 0; d < ndim; d++) {
                uint64_t v;
                MXI_TRY(get_u64(r, &v, "shape"));
                if ((int64_t)v < 0) return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has a negative dimension", r->src, idx);
                shape[d] = (int64_t)v;
            }
        }
    } else {
        /* legacy record: `magic` is the rank, dims are uint32 */
        if (magic > MX_MAX_NDIM)
            return mxi_error(MX_ERR_IO, "mx_load: %s: not an NDArray file (array %d starts with 0x%08x)", r->src, idx, magic);
        ndim = (int)magic;
        none = ndim == 0;
        for (int d = 0; d < ndim; d++) {
            uint32_t v;
            MXI_TRY(get_u32(r, &v, "shape"));
            shape[d] = v;
        }
    }
    if (none) {
        int64_t z = 0;
        mx_tensor_s *t = mxi_tensor_new(&z, 1, MX_FLOAT32);
        if (!t) return mx_last_error_code();
        *out = t;
        return MX_OK;
    }
    uint32_t dev_type, dev_id, dtype;
    MXI_TRY(get_u32(r, &dev_type, "context"));
    MXI_TRY(get_u32(r, &dev_id, "context"));
    MXI_TRY(get_u32(r, &dtype, "dtype"));
    (void)dev_type; (void)dev_id; /* loaded arrays live on the CPU */
    if (!mxi_dtype_valid((int)dtype))
        return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has unknown dtype flag %u", r->src, idx, dtype);
    /* guard the element count against overflow before allocating */
    size_t item = mxi_dtype_size((int)dtype);
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] && count > (UINT64_MAX / 2) / (uint64_t)shape[d])
            return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has a corrupt shape", r->src, idx);
        count *= (uint64_t)shape[d];
    }
    if (count > (r->n - r->pos) / item) {
        char b[160];
        return mxi_error(MX_ERR_IO, "mx_load: %s is truncated: array %d (%s %s) needs %llu bytes of data, %zu left",
                         r->src, idx, mxi_shape_str(shape, ndim, b, sizeof b), mxi_dtype_name((int)dtype),
                         (unsigned long long)(count * item), r->n - r->pos);
    }
    mx_tensor_s *t = mxi_tensor_new_uninit(shape, ndim, (int)dtype);
    if (!t) return mx_last_error_code();
    size_t nbytes = (size_t)count * item;
    if (nbytes) memcpy(mxi_data(t), r->p + r->pos, nbytes);
    r->pos += nbytes;
    *out = t;
    return MX_OK;
}

static int parse(reader *r, mx_load_result *out, int *n_out) {
    uint64_t magic, reserved, n;
    MXI_TRY(get_u64(r, &magic, "file header"));
    if (magic != LIST_MAGIC)
        return mxi_error(MX_ERR_IO, "mx_load: %s is not an MXNet NDArray file (magic 0x%llx, expected 0x112)", r->src,
                         (unsigned long long)magic);
    MXI_TRY(get_u64(r, &reserved, "file header"));
    MXI_TRY(get_u64(r, &n, "array count"));
    /* every record takes at least 4 bytes: bounds the count before allocating */
    if (n > (r->n - r->pos) / 4 || n > 0x7fffffff)
        return mxi_error(MX_ERR_IO, "mx_load: %s is corrupt or truncated: it claims %llu arrays", r->src,
                         (unsigned long long)n);
    struct mx_load_s *L = calloc(1, sizeof *L);
    if (!L) return mxi_error(MX_ERR_MEMORY, "mx_load: out of memory");
    L->magic = LOAD_MAGIC;
    L->tensors = calloc(n ? n : 1, sizeof *L->tensors);
    L->names = calloc(n ? n : 1, sizeof *L->names);
    if (!L->tensors || !L->names) { load_free(L); return mxi_error(MX_ERR_MEMORY, "mx_load: out of memory"); }
    int rc = MX_OK;
    for (uint64_t i = 0; i < n && rc == MX_OK; i++) {
        rc = read_array(r, (int)i, &L->tensors[i]);
        if (rc == MX_OK) L->n = (int)i + 1;
    }
    uint64_t m = 0;
    if (rc == MX_OK) rc = get_u64(r, &m, "name count");
    if (rc == MX_OK && m != 0 && m != n)
        rc = mxi_error(MX_ERR_IO, "mx_load: %s is corrupt: %llu names for %llu arrays", r->src, (unsigned long long)m,
                       (unsigned long long)n);
    for (uint64_t i = 0; i < m && rc == MX_OK; i++) {
        uint64_t len;
        rc = get_u64(r, &len, "name length");
        if (rc == MX_OK) rc = need(r, len, "name");
        if (rc != MX_OK) break;
        char *s = malloc(len + 1);
        if (!s) { rc = mxi_error(MX_ERR_MEMORY, "mx_load: out of memory"); break; }
        memcpy(s, r->p + r->pos, len);
        s[len] = 0;
        r->pos += len;
        L->names[i] = s;
    }
    if (rc != MX_OK) { load_free(L); return rc; }
    for (int i = 0; i < L->n; i++) {
        if (!L->names[i]) {
            L->names[i] = calloc(1, 1);
            if (!L->names[i]) { load_free(L); return mxi_error(MX_ERR_MEMORY, "mx_load: out of memory"); }
        }
    }
    *out = L;
    *n_out = L->n;
    return MX_OK;
}

int mx_load_from_buffer(const void *buf, size_t nbytes, mx_load_result *out, int *n) {
    if (!out || !n || (!buf && nbytes)) return mxi_error(MX_ERR_INVALID, "mx_load_from_buffer: NULL argument");
    reader r = {buf, nbytes, 0, "buffer"};
    return parse(&r, out, n);
}

int mx_load(const char *path, mx_load_result *out, int *n) {
    if (!path || !out || !n) return mxi_error(MX_ERR_INVALID, "mx_load: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f) return mxi_error(MX_ERR_NOT_FOUND, "mx_load: cannot open '%s'", path);
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) { free(buf); fclose(f); return mxi_error(MX_ERR_MEMORY, "mx_load: out of memory reading '%s'", path); }
            buf = nb;
            cap = nc;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) { free(buf); return mxi_error(MX_ERR_IO, "mx_load: read error on '%s'", path); }
    reader r = {buf, len, 0, path};
    int rc = parse(&r, out, n);
    free(buf);
    return rc;
}

static int check_load(mx_load_result L, const char *fn) {
    if (!L) return mxi_error(MX_ERR_HANDLE, "%s: load result is NULL", fn);
    if (L->magic == MX_MAGIC_DEAD) return mxi_error(MX_ERR_HANDLE, "%s: load result was already released", fn);
    if (L->magic != LOAD_MAGIC) return mxi_error(MX_ERR_HANDLE, "%s: handle is not a load result", fn);
    return MX_OK;
}

int mx_load_get(mx_load_result L, int i, mx_tensor *tensor, const char **name) {
    MXI_TRY(check_load(L, "mx_load_get"));
    if (i < 0 || i >= L->n) return mxi_error(MX_ERR_INVALID, "mx_load_get: index %d out of range [0, %d)", i, L->n);
    if (tensor) {
        mxi_tensor_retain(L->tensors[i]);
        *tensor = L->tensors[i];
    }
    if (name) *name = L->names[i];
    return MX_OK;
}

int mx_load_release(mx_load_result L) {
    if (!L) return MX_OK;
    MXI_TRY(check_load(L, "mx_load_release"));
    load_free(L);
    return MX_OK;
}
