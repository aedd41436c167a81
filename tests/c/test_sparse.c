/* test_sparse.c — sparse arrays through the C ABI: the _sparse_* ops over CSR
 * components, and mx_save_sparse / mx_load_get_sparse (MXNet's file format),
 * including the file MXNet 1.9.1 wrote and the errors for bad components. */
#include "check.h"

static mx_device cpu = {MX_DEV_CPU, 0};

static mx_tensor make(const int64_t *shape, int ndim, int dtype, const void *data, size_t nbytes) {
    mx_tensor t;
    CHECK_OK(mx_tensor_create(shape, ndim, dtype, cpu, &t));
    if (nbytes) CHECK_OK(mx_tensor_copy_from_host(t, data, nbytes));
    return t;
}

/* one-output op call with one attribute */
static int call1(const char *name, mx_tensor *in, int n_in, const char *key, const char *val, mx_tensor *out) {
    mx_op op;
    int rc = mx_op_lookup(name, &op);
    if (rc) return rc;
    int n_out = 0;
    return mx_op_invoke(op, in, n_in, &key, &val, 1, out, 1, &n_out);
}

int main(void) {
    /* the 3x4 matrix [[0 1 0 2] [0 0 0 0] [3 0 4 0]] */
    float data[4] = {1, 2, 3, 4};
    int64_t indices[4] = {1, 3, 0, 2}, indptr[4] = {0, 2, 2, 4};
    int64_t n4 = 4, n3p1 = 4;
    mx_tensor csr[3] = {make(&n4, 1, MX_FLOAT32, data, sizeof data), make(&n4, 1, MX_INT64, indices, sizeof indices),
                        make(&n3p1, 1, MX_INT64, indptr, sizeof indptr)};
    mx_tensor dense;
    CHECK_OK(call1("_sparse_csr_to_dense", csr, 3, "shape", "(3,4)", &dense));
    float d[12], want[12] = {0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0};
    CHECK_OK(mx_tensor_copy_to_host(dense, d, sizeof d));
    for (int i = 0; i < 12; i++) CHECK_NEAR(d[i], want[i], 0);

    /* unsorted column ids are refused with the op's name */
    int64_t bad_idx[4] = {3, 1, 0, 2};
    mx_tensor bad[3] = {csr[0], make(&n4, 1, MX_INT64, bad_idx, sizeof bad_idx), csr[2]};
    mx_tensor out;
    CHECK_ERR(call1("_sparse_csr_to_dense", bad, 3, "shape", "(3,4)", &out), "_sparse_csr_to_dense: csr column indices of row 0 must be sorted");
    CHECK_ERR(call1("_sparse_csr_to_dense", csr, 3, "shape", "(3,3)", &out), "out of range [0, 3)");

    /* save a csr record and a dense one; load them back */
    const char *path = "test_sparse_out.params";
    int stypes[2] = {MX_STYPE_CSR, MX_STYPE_DEFAULT};
    int64_t shapes[4] = {3, 4, 3, 4};
    int ndims[2] = {2, 2};
    mx_tensor comps[4] = {csr[0], csr[2], csr[1], dense}; /* file order: data, indptr, indices */
    const char *names[2] = {"c", "d"};
    CHECK_OK(mx_save_sparse(path, 2, stypes, shapes, ndims, comps, names));
    mx_load_result L;
    int n = 0;
    CHECK_OK(mx_load(path, &L, &n));
    CHECK(n == 2);
    mx_tensor got[3];
    int st = -1, nd = 0, nc = 0;
    int64_t shp[MX_MAX_NDIM];
    const char *nm;
    CHECK_ERR(mx_load_get(L, 0, got, &nm), "array 0 ('c') has csr storage");
    CHECK_OK(mx_load_get_sparse(L, 0, &st, shp, &nd, got, &nc, &nm));
    CHECK(st == MX_STYPE_CSR && nd == 2 && shp[0] == 3 && shp[1] == 4 && nc == 3 && !strcmp(nm, "c"));
    int64_t ip[4];
    CHECK_OK(mx_tensor_copy_to_host(got[1], ip, sizeof ip));
    for (int i = 0; i < 4; i++) CHECK(ip[i] == indptr[i]);
    for (int k = 0; k < nc; k++) mx_tensor_release(got[k]);
    CHECK_OK(mx_load_get_sparse(L, 1, &st, shp, &nd, got, &nc, NULL));
    CHECK(st == MX_STYPE_DEFAULT && nc == 1);
    mx_tensor_release(got[0]);
    CHECK_OK(mx_load_get(L, 1, got, NULL));
    mx_tensor_release(got[0]);
    CHECK_OK(mx_load_release(L));

    /* components that do not fit the record: nothing is written */
    remove(path);
    int64_t wrong[2] = {2, 4};
    CHECK_ERR(mx_save_sparse(path, 1, stypes, wrong, ndims, comps, NULL), "record 0 (csr, shape (2,4))");
    FILE *f = fopen(path, "rb");
    CHECK(f == NULL);
    if (f) fclose(f);
    int unknown = 5;
    CHECK_ERR(mx_save_sparse(path, 1, &unknown, shapes, ndims, comps, NULL), "unknown storage type 5");

    /* the file MXNet 1.9.1 wrote */
    const char *src = getenv("MXCORE_SOURCE_DIR");
    if (src) {
        char ref[1024];
        snprintf(ref, sizeof ref, "%s/tests/data/mxnet_ref/sparse_ref.params", src);
        CHECK_OK(mx_load(ref, &L, &n));
        CHECK(n == 6);
        int seen[3] = {0, 0, 0};
        for (int i = 0; i < n; i++) {
            CHECK_OK(mx_load_get_sparse(L, i, &st, shp, &nd, got, &nc, &nm));
            CHECK(st >= 0 && st <= 2);
            seen[st]++;
            for (int k = 0; k < nc; k++) mx_tensor_release(got[k]);
        }
        CHECK(seen[0] == 1 && seen[1] == 2 && seen[2] == 3);
        CHECK_OK(mx_load_release(L));
    }

    for (int k = 0; k < 3; k++) mx_tensor_release(csr[k]);
    mx_tensor_release(bad[1]);
    mx_tensor_release(dense);
    TEST_DONE();
}
