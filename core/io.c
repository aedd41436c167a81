/* io.c — MXNet's NDArray list file format (nd.save / .params), dense and sparse.
 *
 * File layout (all little-endian):
 *   uint64 0x112 (list magic), uint64 0 (reserved)
 *   uint64 n, then n array records
 *   uint64 m, then m names (uint64 length + bytes); m is 0 (list) or n (dict)
 * Array record, V2/V3: uint32 magic (0xF993FAC9 V2, 0xF993FACA V3), int32 stype
 *   (0 dense, 1 row_sparse, 2 csr), for sparse the storage shape (the data
 *   component's shape), the shape (int32 ndim + int64 dims), and unless the
 *   array is "none" (V2: ndim 0, V3: ndim -1): int32 dev_type, int32 dev_id,
 *   int32 dtype flag, for sparse each aux array's int32 dtype flag and shape
 *   (row_sparse: indices; csr: indptr, then indices), the raw data (C order,
 *   storage-shape elements), then each aux array's raw data. This is what
 *   MXNet 1.x's NDArray::Save writes; a sparse record's components are kept
 *   as dense tensors (see mx_save_sparse / mx_load_get_sparse).
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

/* one loaded array: dense (comp[0] is it) or sparse (data, then aux arrays) */
typedef struct {
    int stype, ndim, n_comp;
    int64_t shape[MX_MAX_NDIM];
    mx_tensor_s *comp[3];
} load_record;

struct mx_load_s {
    uint32_t magic;
    int n;
    load_record *recs;
    char **names;
};

/* aux arrays of a storage type (MXNet's num_aux_data), -1 for an unknown one */
static int num_aux(int stype) { return stype == MX_STYPE_DEFAULT ? 0 : stype == MX_STYPE_ROW_SPARSE ? 1 : stype == MX_STYPE_CSR ? 2 : -1; }

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

static void put_shape(writer *w, const int64_t *shape, int ndim) {
    put_u32(w, (uint32_t)ndim);
    for (int d = 0; d < ndim; d++) put_u64(w, (uint64_t)shape[d]);
}

/* the raw bytes of t (any device) */
static int put_data(writer *w, mx_tensor_s *t, const char *fn) {
    size_t nbytes = (size_t)t->size * mxi_dtype_size(t->dtype);
    if (!nbytes) return MX_OK;
    void *buf = malloc(nbytes);
    if (!buf) return mxi_error(MX_ERR_MEMORY, "%s: out of memory (%zu bytes)", fn, nbytes);
    int rc = mx_tensor_copy_to_host(t, buf, nbytes);
    if (rc == MX_OK) put(w, buf, nbytes);
    free(buf);
    return rc;
}

static int put_record(writer *w, int stype, const int64_t *shape, int ndim, mx_tensor_s *const *comp, const char *fn) {
    int nad = num_aux(stype);
    put_u32(w, ndim == 0 && !nad ? V3_MAGIC : V2_MAGIC);
    put_u32(w, (uint32_t)stype);
    if (nad) put_shape(w, comp[0]->shape, comp[0]->ndim); /* storage shape */
    put_shape(w, shape, ndim);
    put_u32(w, MX_DEV_CPU); /* saved arrays always load on the CPU */
    put_u32(w, 0);
    put_u32(w, (uint32_t)comp[0]->dtype);
    for (int k = 1; k <= nad; k++) {
        put_u32(w, (uint32_t)comp[k]->dtype);
        put_shape(w, comp[k]->shape, comp[k]->ndim);
    }
    for (int k = 0; k <= nad; k++) MXI_TRY(put_data(w, comp[k], fn));
    return MX_OK;
}

/* components of record i agree with its stype and shape (what MXNet's loader relies on) */
static int check_record(int i, int stype, const int64_t *shape, int ndim, mx_tensor_s *const *comp) {
    char b0[128], b1[128];
    const char *sn = stype == MX_STYPE_CSR ? "csr" : stype == MX_STYPE_ROW_SPARSE ? "row_sparse" : "dense";
    int bad = 0;
    if (stype == MX_STYPE_DEFAULT) {
        bad = comp[0]->ndim != ndim || memcmp(comp[0]->shape, shape, sizeof(int64_t) * (size_t)ndim);
    } else if (stype == MX_STYPE_ROW_SPARSE) {
        bad = ndim < 1 || comp[0]->ndim != ndim || comp[1]->ndim != 1 || comp[1]->dtype != MX_INT64 ||
              comp[0]->shape[0] != comp[1]->shape[0];
        for (int d = 1; !bad && d < ndim; d++) bad = comp[0]->shape[d] != shape[d];
    } else {
        bad = ndim != 2 || comp[0]->ndim != 1 || comp[1]->ndim != 1 || comp[2]->ndim != 1 ||
              comp[1]->dtype != MX_INT64 || comp[2]->dtype != MX_INT64 || comp[1]->shape[0] != shape[0] + 1 ||
              comp[2]->shape[0] != comp[0]->shape[0];
    }
    if (bad)
        return mxi_error(MX_ERR_INVALID, "mx_save_sparse: record %d (%s, shape %s): components do not fit it (data %s "
                         "%s); expected dense: the array; row_sparse: data (k, shape[1:]), int64 indices (k,); csr: "
                         "data (nnz,), int64 indptr (rows+1,), int64 indices (nnz,)", i, sn,
                         mxi_shape_str(shape, ndim, b0, sizeof b0),
                         mxi_shape_str(comp[0]->shape, comp[0]->ndim, b1, sizeof b1), mxi_dtype_name(comp[0]->dtype));
    return MX_OK;
}

static int save_records(const char *fn, const char *path, int n, const int *stypes, const int64_t *shapes,
                        const int *ndims, const mx_tensor *comps, const char *const *names) {
    if (!path) return mxi_error(MX_ERR_INVALID, "%s: path is NULL", fn);
    if (n < 0 || (n > 0 && !comps)) return mxi_error(MX_ERR_INVALID, "%s: bad tensor list (n=%d)", fn, n);
    if (!host_is_little()) return mxi_error(MX_ERR_UNSUPPORTED, "%s: big-endian hosts are not supported", fn);
    int64_t nc = 0, ns = 0;
    for (int i = 0; i < n; i++) {
        int st = stypes ? stypes[i] : MX_STYPE_DEFAULT, nad = num_aux(st);
        if (nad < 0) return mxi_error(MX_ERR_INVALID, "%s: record %d has unknown storage type %d (0, 1 or 2)", fn, i, st);
        for (int k = 0; k <= nad; k++)
            if (!mxi_tensor_check(comps[nc + k], fn)) return MX_ERR_HANDLE;
        const mx_tensor_s *first = comps[nc];
        int nd = ndims ? ndims[i] : first->ndim;
        if (nd < 0 || nd > MX_MAX_NDIM) return mxi_error(MX_ERR_INVALID, "%s: record %d has rank %d", fn, i, nd);
        if (stypes) MXI_TRY(check_record(i, st, shapes + ns, nd, (mx_tensor_s *const *)comps + nc));
        if (names && !names[i]) return mxi_error(MX_ERR_INVALID, "%s: name %d is NULL", fn, i);
        nc += nad + 1;
        ns += nd;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return mxi_error(MX_ERR_IO, "%s: cannot open '%s' for writing", fn, path);
    writer w = {f, 0};
    put_u64(&w, LIST_MAGIC);
    put_u64(&w, 0);
    put_u64(&w, (uint64_t)n);
    int rc = MX_OK;
    nc = ns = 0;
    for (int i = 0; i < n && rc == MX_OK; i++) {
        int st = stypes ? stypes[i] : MX_STYPE_DEFAULT;
        mx_tensor_s *const *comp = (mx_tensor_s *const *)comps + nc;
        int nd = ndims ? ndims[i] : comp[0]->ndim;
        rc = put_record(&w, st, stypes ? shapes + ns : comp[0]->shape, nd, comp, fn);
        nc += num_aux(st) + 1;
        ns += nd;
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
    if (rc == MX_OK && w.failed) rc = mxi_error(MX_ERR_IO, "%s: write to '%s' failed (disk full?)", fn, path);
    if (rc != MX_OK) remove(path);
    return rc;
}

int mx_save(const char *path, const mx_tensor *tensors, const char *const *names, int n) {
    return save_records("mx_save", path, n, NULL, NULL, NULL, tensors, names);
}

int mx_save_sparse(const char *path, int n, const int *stypes, const int64_t *shapes, const int *ndims,
                   const mx_tensor *components, const char *const *names) {
    if (n > 0 && (!stypes || !ndims || !shapes))
        return mxi_error(MX_ERR_INVALID, "mx_save_sparse: stypes, shapes and ndims must not be NULL");
    return save_records("mx_save_sparse", path, n, stypes, shapes, ndims, components, names);
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
        for (int k = 0; k < L->recs[i].n_comp; k++) mxi_tensor_release(L->recs[i].comp[k]);
        if (L->names) free(L->names[i]);
    }
    free(L->recs);
    free(L->names);
    L->magic = MX_MAGIC_DEAD;
    free(L);
}

/* a V1/V2/V3 shape: int32 rank (V3: -1 = none) and int64 dims */
static int read_shape(reader *r, int idx, int v3, int64_t *shape, int *ndim, int *none) {
    uint32_t nd;
    MXI_TRY(get_u32(r, &nd, "shape rank"));
    int32_t snd = (int32_t)nd;
    *none = 0;
    if (snd == -1 && v3) {
        *none = 1;
        *ndim = 0;
        return MX_OK;
    }
    if (snd < 0 || snd > MX_MAX_NDIM)
        return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has corrupt rank %d (max %d)", r->src, idx, snd, MX_MAX_NDIM);
    *ndim = snd;
    if (snd == 0 && !v3) *none = 1;
    for (int d = 0; d < snd; d++) {
        uint64_t v;
        MXI_TRY(get_u64(r, &v, "shape"));
        if ((int64_t)v < 0) return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has a negative dimension", r->src, idx);
        shape[d] = (int64_t)v;
    }
    return MX_OK;
}

/* a new tensor of shape/dtype holding the next raw bytes */
static int read_payload(reader *r, int idx, const int64_t *shape, int ndim, uint32_t dtype, mx_tensor_s **out) {
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

/* MXNet's writer can leave a sparse record's storage-shape field empty (0 elements)
 * while writing the data, e.g. for a row_sparse Gluon parameter saved with all its
 * rows; MXNet's reader then takes the storage shape from the index array (the
 * row_sparse data has len(indices) rows, the csr data len(indices) values), and so
 * do we. */
static void derive_storage_shape(const load_record *rec, int64_t *sshape, int *snd,
                                 int64_t aux_shape[2][MX_MAX_NDIM], const int *aux_nd) {
    if (mxi_shape_size(sshape, *snd) != 0) return;
    int k = rec->stype == MX_STYPE_CSR ? 1 : 0; /* the column / row ids */
    if (aux_nd[k] != 1) return;                 /* check_sparse_layout reports it */
    if (rec->stype == MX_STYPE_CSR) {
        *snd = 1;
        sshape[0] = aux_shape[k][0];
    } else {
        *snd = rec->ndim;
        memcpy(sshape, rec->shape, sizeof(int64_t) * (size_t)rec->ndim);
        if (rec->ndim > 0) sshape[0] = aux_shape[k][0];
    }
}

/* a sparse record's storage shape, shape and aux descriptions agree (as MXNet's writer makes them) */
static int check_sparse_layout(reader *r, int idx, load_record *rec, const int64_t *sshape, int snd,
                               int64_t aux_shape[2][MX_MAX_NDIM], const int *aux_nd, const uint32_t *aux_type) {
    int bad = 0;
    for (int k = 0; k < rec->n_comp - 1; k++) bad |= aux_type[k] != MX_INT64 || aux_nd[k] != 1;
    if (rec->stype == MX_STYPE_CSR)
        bad = bad || rec->ndim != 2 || snd != 1 || aux_shape[0][0] != rec->shape[0] + 1 || aux_shape[1][0] != sshape[0];
    else {
        bad = bad || snd != rec->ndim || rec->ndim < 1 || aux_shape[0][0] != sshape[0];
        for (int d = 1; !bad && d < snd; d++) bad |= sshape[d] != rec->shape[d];
    }
    if (bad) {
        char b0[128], b1[128];
        return mxi_error(MX_ERR_IO, "mx_load: %s: array %d is a corrupt %s record (shape %s, storage shape %s): its "
                         "int64 index arrays do not fit it", r->src, idx, rec->stype == MX_STYPE_CSR ? "csr" : "row_sparse",
                         mxi_shape_str(rec->shape, rec->ndim, b0, sizeof b0), mxi_shape_str(sshape, snd, b1, sizeof b1));
    }
    return MX_OK;
}

static int read_array(reader *r, int idx, load_record *rec) {
    uint32_t magic;
    MXI_TRY(get_u32(r, &magic, "array header"));
    int none = 0, snd = 0;
    int64_t sshape[MX_MAX_NDIM];
    rec->stype = MX_STYPE_DEFAULT;
    if (magic == V2_MAGIC || magic == V3_MAGIC || magic == V1_MAGIC) {
        if (magic != V1_MAGIC) {
            uint32_t stype;
            MXI_TRY(get_u32(r, &stype, "storage type"));
            if (num_aux((int)stype) < 0)
                return mxi_error(MX_ERR_IO, "mx_load: %s: array %d has unknown storage type %d (0 dense, 1 row_sparse, "
                                 "2 csr)", r->src, idx, (int)stype);
            rec->stype = (int)stype;
            int snone;
            if (stype) MXI_TRY(read_shape(r, idx, 0, sshape, &snd, &snone));
        }
        MXI_TRY(read_shape(r, idx, magic == V3_MAGIC, rec->shape, &rec->ndim, &none));
    } else {
        /* legacy record: `magic` is the rank, dims are uint32 */
        if (magic > MX_MAX_NDIM)
            return mxi_error(MX_ERR_IO, "mx_load: %s: not an NDArray file (array %d starts with 0x%08x)", r->src, idx, magic);
        rec->ndim = (int)magic;
        none = rec->ndim == 0;
        for (int d = 0; d < rec->ndim; d++) {
            uint32_t v;
            MXI_TRY(get_u32(r, &v, "shape"));
            rec->shape[d] = v;
        }
    }
    if (none) {
        int64_t z = 0;
        rec->stype = MX_STYPE_DEFAULT;
        rec->comp[0] = mxi_tensor_new(&z, 1, MX_FLOAT32);
        if (!rec->comp[0]) return mx_last_error_code();
        rec->n_comp = 1;
        rec->ndim = 1;
        rec->shape[0] = 0;
        return MX_OK;
    }
    uint32_t dev_type, dev_id, dtype;
    MXI_TRY(get_u32(r, &dev_type, "context"));
    MXI_TRY(get_u32(r, &dev_id, "context"));
    MXI_TRY(get_u32(r, &dtype, "dtype"));
    (void)dev_type; (void)dev_id; /* loaded arrays live on the CPU */
    int nad = num_aux(rec->stype);
    uint32_t aux_type[2];
    int64_t aux_shape[2][MX_MAX_NDIM];
    int aux_nd[2];
    for (int k = 0; k < nad; k++) {
        int anone;
        MXI_TRY(get_u32(r, &aux_type[k], "aux dtype"));
        MXI_TRY(read_shape(r, idx, 0, aux_shape[k], &aux_nd[k], &anone));
    }
    rec->n_comp = 0;
    if (!nad) {
        MXI_TRY(read_payload(r, idx, rec->shape, rec->ndim, dtype, &rec->comp[0]));
        rec->n_comp = 1;
        return MX_OK;
    }
    rec->n_comp = nad + 1;
    derive_storage_shape(rec, sshape, &snd, aux_shape, aux_nd);
    MXI_TRY(check_sparse_layout(r, idx, rec, sshape, snd, aux_shape, aux_nd, aux_type));
    rec->n_comp = 0;
    MXI_TRY(read_payload(r, idx, sshape, snd, dtype, &rec->comp[0]));
    rec->n_comp = 1;
    for (int k = 0; k < nad; k++) {
        MXI_TRY(read_payload(r, idx, aux_shape[k], aux_nd[k], aux_type[k], &rec->comp[k + 1]));
        rec->n_comp = k + 2;
    }
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
    L->recs = calloc(n ? n : 1, sizeof *L->recs);
    L->names = calloc(n ? n : 1, sizeof *L->names);
    if (!L->recs || !L->names) { load_free(L); return mxi_error(MX_ERR_MEMORY, "mx_load: out of memory"); }
    int rc = MX_OK;
    for (uint64_t i = 0; i < n && rc == MX_OK; i++) {
        rc = read_array(r, (int)i, &L->recs[i]);
        L->n = (int)i + 1; /* a failed record's components are released with the rest */
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
    const load_record *rec = &L->recs[i];
    if (rec->stype != MX_STYPE_DEFAULT)
        return mxi_error(MX_ERR_UNSUPPORTED, "mx_load_get: array %d ('%s') has %s storage; read it with "
                         "mx_load_get_sparse", i, L->names[i], rec->stype == MX_STYPE_CSR ? "csr" : "row_sparse");
    if (tensor) {
        mxi_tensor_retain(rec->comp[0]);
        *tensor = rec->comp[0];
    }
    if (name) *name = L->names[i];
    return MX_OK;
}

int mx_load_get_sparse(mx_load_result L, int i, int *stype, int64_t *shape, int *ndim, mx_tensor *components,
                       int *n_components, const char **name) {
    MXI_TRY(check_load(L, "mx_load_get_sparse"));
    if (!components || !n_components) return mxi_error(MX_ERR_INVALID, "mx_load_get_sparse: NULL components");
    if (i < 0 || i >= L->n)
        return mxi_error(MX_ERR_INVALID, "mx_load_get_sparse: index %d out of range [0, %d)", i, L->n);
    const load_record *rec = &L->recs[i];
    if (stype) *stype = rec->stype;
    if (shape) memcpy(shape, rec->shape, sizeof(int64_t) * (size_t)rec->ndim);
    if (ndim) *ndim = rec->ndim;
    for (int k = 0; k < rec->n_comp; k++) {
        mxi_tensor_retain(rec->comp[k]);
        components[k] = rec->comp[k];
    }
    *n_components = rec->n_comp;
    if (name) *name = L->names[i];
    return MX_OK;
}

int mx_load_release(mx_load_result L) {
    if (!L) return MX_OK;
    MXI_TRY(check_load(L, "mx_load_release"));
    load_free(L);
    return MX_OK;
}
