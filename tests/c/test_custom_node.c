/* test_custom_node.c — mx_autograd_record_custom: a callback supplies the
 * gradient, its context is released exactly once (after a backward that
 * frees the node's saved data, or with the node), bad arguments fail
 * cleanly. */
#include "check.h"

static int released = 0;
static void release_ctx(void *ctx) { released += *(int *)ctx; }

/* d(out)/d(in) = 3 for every element: igrad = 3 * ograd */
static int triple(void *ctx, const mx_tensor *og, int n_out, mx_tensor *ig, int n_in) {
    (void)ctx;
    if (n_out != 1 || n_in != 1) return 1;
    const char *k[] = {"scalar"}, *v[] = {"3"};
    mx_tensor in[1] = {og[0]}, out[1];
    int n = 0;
    if (mx_invoke_by_name("_mul_scalar", in, 1, k, v, 1, out, 1, &n) != MX_OK) return 2;
    ig[0] = out[0];
    return 0;
}

static int failing(void *ctx, const mx_tensor *og, int n_out, mx_tensor *ig, int n_in) {
    (void)ctx; (void)og; (void)n_out; (void)ig; (void)n_in;
    return 7;
}

int main(void) {
    int64_t shape[1] = {4};
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor x, y;
    CHECK_OK(mx_tensor_create(shape, 1, MX_FLOAT32, cpu, &x));
    CHECK_OK(mx_tensor_create(shape, 1, MX_FLOAT32, cpu, &y));
    CHECK_OK(mx_tensor_fill(x, 2.0));
    CHECK_OK(mx_autograd_mark_variables(&x, NULL, NULL, 1));
    int one = 1;
    CHECK_OK(mx_autograd_record_custom(&x, 1, &y, 1, triple, &one, release_ctx));
    CHECK_OK(mx_autograd_backward(&y, NULL, 1, 0, 0));
    mx_tensor g;
    CHECK_OK(mx_tensor_grad(x, &g));
    float gv[4];
    CHECK_OK(mx_tensor_copy_to_host(g, gv, sizeof gv));
    for (int i = 0; i < 4; i++) CHECK_NEAR(gv[i], 3.0, 0);
    mx_tensor_release(g);
    CHECK(released == 1); /* a backward without retain_graph frees what the node saved */
    mx_tensor_release(y); /* frees the node: no second release */
    CHECK(released == 1);
    /* with retain_graph the context lives until the node is freed */
    CHECK_OK(mx_tensor_create(shape, 1, MX_FLOAT32, cpu, &y));
    CHECK_OK(mx_autograd_record_custom(&x, 1, &y, 1, triple, &one, release_ctx));
    CHECK_OK(mx_autograd_backward(&y, NULL, 1, 1, 0));
    CHECK_OK(mx_autograd_backward(&y, NULL, 1, 1, 0));
    CHECK(released == 1);
    mx_tensor_release(y);
    CHECK(released == 2);
    released = 1;

    /* a failing callback turns into an error, not a crash */
    CHECK_OK(mx_tensor_create(shape, 1, MX_FLOAT32, cpu, &y));
    CHECK_OK(mx_autograd_record_custom(&x, 1, &y, 1, failing, &one, release_ctx));
    CHECK_ERR(mx_autograd_backward(&y, NULL, 1, 0, 0), "custom Function");
    mx_tensor_release(y);
    CHECK(released == 2);
    /* bad arguments: release is still called exactly once */
    CHECK_ERR(mx_autograd_record_custom(&x, 1, NULL, 0, triple, &one, release_ctx), "record_custom");
    CHECK(released == 3);
    CHECK_ERR(mx_autograd_record_custom(&x, 1, &x, 1, NULL, &one, NULL), "NULL");
    mx_tensor_release(x);
    TEST_DONE();
}
