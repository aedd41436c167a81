/* test_custom_graph.c — the host handler for "Custom" graph nodes
 * (mx_custom_handler) from plain C, as a binding other than Python would use
 * it: registration checks, counts and output names at load, shape inference
 * that fills a variable, forward and backward through the graph, one state
 * per node and input signature destroyed exactly once, and callback failures
 * that become errors naming the op_type, the node and the host's reason. */
#include "check.h"

static int created = 0, destroyed = 0;

static const char *attr(int n, const char *const *k, const char *const *v, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(k[i], name)) return v[i];
    return NULL;
}

/* op_type "cube": y = x^3 (+ an unused "scale" argument the host sizes like x);
 * op_type "broken": forward fails */
static int describe(void *ctx, int n_attr, const char *const *keys, const char *const *vals, int *n_args, int *n_aux,
                    int *n_out, char *out_names, size_t cap) {
    (void)ctx;
    const char *t = attr(n_attr, keys, vals, "op_type");
    if (!t || (strcmp(t, "cube") && strcmp(t, "broken"))) {
        mx_custom_op_set_error("unknown op_type");
        return 1;
    }
    *n_args = 2;
    *n_aux = 0;
    *n_out = 1;
    snprintf(out_names, cap, "cubed");
    return 0;
}

static int infer(void *ctx, int n_attr, const char *const *keys, const char *const *vals, int n_in, int *in_ndim,
                 int64_t *in_shape, int *in_dtype, int n_out, int *out_ndim, int64_t *out_shape, int *out_dtype) {
    (void)ctx; (void)n_attr; (void)keys; (void)vals; (void)n_out;
    if (n_in != 2 || in_ndim[0] < 0) return 1;
    for (int j = 1; j < 2; j++) { /* "scale" takes x's shape */
        in_ndim[j] = in_ndim[0];
        memcpy(in_shape + j * MX_MAX_NDIM, in_shape, sizeof(int64_t) * (size_t)in_ndim[0]);
        in_dtype[j] = in_dtype[0];
    }
    out_ndim[0] = in_ndim[0];
    memcpy(out_shape, in_shape, sizeof(int64_t) * (size_t)in_ndim[0]);
    out_dtype[0] = in_dtype[0];
    return 0;
}

static int create(void *ctx, int n_attr, const char *const *keys, const char *const *vals, mx_device device, int n_in,
                  const int *in_ndim, const int64_t *in_shape, const int *in_dtype, void **state) {
    (void)ctx; (void)device; (void)n_in; (void)in_ndim; (void)in_shape; (void)in_dtype;
    created++;
    *state = (void *)(strcmp(attr(n_attr, keys, vals, "op_type"), "broken") ? "cube" : "broken");
    return 0;
}

static int forward(void *ctx, void *state, int is_train, const mx_tensor *in, int n_args, const mx_tensor *out,
                   const int *req, int n_out, const mx_tensor *aux, int n_aux) {
    (void)ctx; (void)is_train; (void)n_args; (void)aux; (void)n_aux;
    if (!strcmp(state, "broken")) {
        mx_custom_op_set_error("the cube exploded");
        return 1;
    }
    if (n_out != 1 || req[0] != MX_GRAD_WRITE) return 1;
    float *x, *y;
    int64_t n;
    if (mx_tensor_data_ptr(in[0], (void **)&x) || mx_tensor_data_ptr(out[0], (void **)&y) || mx_tensor_size(in[0], &n))
        return 1;
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i] * x[i];
    return 0;
}

static int backward(void *ctx, void *state, const mx_tensor *og, int n_out, const mx_tensor *in, int n_args,
                    const mx_tensor *out, const mx_tensor *ig, const int *req, const mx_tensor *aux, int n_aux) {
    (void)ctx; (void)state; (void)n_out; (void)n_args; (void)out; (void)aux; (void)n_aux;
    float *x, *g, *d;
    int64_t n;
    if (req[1] != MX_GRAD_NULL) return 1; /* nobody asked for "scale" */
    if (mx_tensor_data_ptr(in[0], (void **)&x) || mx_tensor_data_ptr(og[0], (void **)&g) ||
        mx_tensor_data_ptr(ig[0], (void **)&d) || mx_tensor_size(in[0], &n))
        return 1;
    for (int64_t i = 0; i < n; i++) d[i] = 3 * x[i] * x[i] * g[i];
    return 0;
}

static void destroy(void *ctx, void *state) {
    (void)ctx; (void)state;
    destroyed++;
}

static const char *graph_json(const char *op_type, char *buf, size_t n) {
    snprintf(buf, n,
             "{\"nodes\":[{\"op\":\"null\",\"name\":\"x\",\"inputs\":[]},{\"op\":\"null\",\"name\":\"c_scale\","
             "\"inputs\":[]},{\"op\":\"Custom\",\"name\":\"c\",\"attrs\":{\"op_type\":\"%s\"},\"inputs\":[[0,0,0],"
             "[1,0,0]]}],\"arg_nodes\":[0,1],\"heads\":[[2,0,0]]}",
             op_type);
    return buf;
}

int main(void) {
    char json[512];
    mx_graph g;
    CHECK_ERR(mx_graph_from_json(graph_json("cube", json, sizeof json), &g), "no host handler");

    mx_custom_handler h = {MX_CUSTOM_HANDLER_VERSION, NULL, describe, infer, create, forward, backward, destroy};
    mx_custom_handler bad = h;
    bad.version = 99;
    CHECK_ERR(mx_custom_op_set_handler(&bad), "version 99");
    bad = h;
    bad.forward = NULL;
    CHECK_ERR(mx_custom_op_set_handler(&bad), "required");
    CHECK_OK(mx_custom_op_set_handler(&h));

    CHECK_ERR(mx_graph_from_json(graph_json("nope", json, sizeof json), &g),
              "Custom op_type='nope' (node 'c'): describe failed: unknown op_type");
    CHECK_OK(mx_graph_from_json(graph_json("cube", json, sizeof json), &g));
    int n;
    const char *const *names;
    CHECK_OK(mx_graph_list(g, MX_GRAPH_OUTPUTS, &n, &names));
    CHECK(n == 1 && !strcmp(names[0], "c_cubed"));
    const char *res;
    CHECK_OK(mx_graph_infer(g, "{\"x\": {\"shape\": [2, 3]}}", 0, &res));
    CHECK(strstr(res, "\"c_scale\":{\"shape\":[2,3]") != NULL); /* the host filled the variable in */
    CHECK(strstr(res, "\"outputs\":[{\"shape\":[2,3]") != NULL);

    /* forward and backward through the graph */
    int64_t shape[2] = {2, 3};
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor args[2], out, grad;
    CHECK_OK(mx_tensor_create(shape, 2, MX_FLOAT32, cpu, &args[0]));
    CHECK_OK(mx_tensor_create(shape, 2, MX_FLOAT32, cpu, &args[1]));
    float xv[6] = {-2, -1, 0, 1, 2, 3}, yv[6], gv[6];
    CHECK_OK(mx_tensor_copy_from_host(args[0], xv, sizeof xv));
    CHECK_OK(mx_autograd_mark_variables(&args[0], NULL, NULL, 1));
    int prev;
    for (int step = 0; step < 2; step++) {
        CHECK_OK(mx_autograd_set_recording(1, &prev));
        CHECK_OK(mx_graph_run(g, args, 2, NULL, 0, 1, &out, 1, &n));
        CHECK_OK(mx_autograd_set_recording(prev, NULL));
        CHECK_OK(mx_autograd_backward(&out, NULL, 1, 0, 0));
        CHECK_OK(mx_tensor_copy_to_host(out, yv, sizeof yv));
        CHECK_OK(mx_tensor_grad(args[0], &grad));
        CHECK_OK(mx_tensor_copy_to_host(grad, gv, sizeof gv));
        for (int i = 0; i < 6; i++) {
            CHECK_NEAR(yv[i], xv[i] * xv[i] * xv[i], 1e-5);
            CHECK_NEAR(gv[i], 3 * xv[i] * xv[i], 1e-5);
        }
        mx_tensor_release(grad);
        mx_tensor_release(out);
    }
    CHECK(created == 1 && destroyed == 0); /* one state for the node and its shapes */
    /* new input shapes: a new state replaces (and destroys) the old one */
    int64_t shape2[1] = {4};
    mx_tensor args2[2];
    CHECK_OK(mx_tensor_create(shape2, 1, MX_FLOAT32, cpu, &args2[0]));
    CHECK_OK(mx_tensor_create(shape2, 1, MX_FLOAT32, cpu, &args2[1]));
    CHECK_OK(mx_graph_run(g, args2, 2, NULL, 0, 0, &out, 1, &n));
    mx_tensor_release(out);
    CHECK(created == 2 && destroyed == 1);
    CHECK_OK(mx_graph_release(g));
    CHECK(destroyed == 2);

    /* a failing forward is an error naming the op_type, the node and the reason */
    CHECK_OK(mx_graph_from_json(graph_json("broken", json, sizeof json), &g));
    CHECK_ERR(mx_graph_run(g, args, 2, NULL, 0, 0, &out, 1, &n),
              "Custom op_type='broken' (node 'c'): forward failed: the cube exploded");
    CHECK_OK(mx_graph_release(g));
    CHECK(created == 3 && destroyed == 3);

    /* unregistered: graphs holding Custom nodes no longer load */
    CHECK_OK(mx_custom_op_set_handler(NULL));
    CHECK_ERR(mx_graph_from_json(graph_json("cube", json, sizeof json), &g), "no host handler");
    for (int i = 0; i < 2; i++) { mx_tensor_release(args[i]); mx_tensor_release(args2[i]); }
    TEST_DONE();
}
