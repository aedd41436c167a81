/* mlp.c — embedding mxcore from C: build a 2-layer MLP with registry ops,
 * train it with autograd and the sgd_update op on synthetic data, print the
 * loss as it falls.
 *
 * Build against an installed mxcore:
 *   cc mlp.c $(pkg-config --cflags --libs mxcore) -o mlp && ./mlp
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <mxcore/mxcore.h>

#define N 64      /* samples */
#define D 8       /* features */
#define H 32      /* hidden units */
#define C 3       /* classes */

/* Abort the example with the library's message on any error. */
static void ok(int rc, const char *what) {
    if (rc != MX_OK) {
        fprintf(stderr, "%s failed: %s\n", what, mx_last_error());
        exit(1);
    }
}

static mx_tensor tensor(const int64_t *shape, int ndim, const float *data) {
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor t;
    ok(mx_tensor_create(shape, ndim, MX_FLOAT32, cpu, &t), "mx_tensor_create");
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if (data) ok(mx_tensor_copy_from_host(t, data, (size_t)n * sizeof(float)), "copy_from_host");
    return t;
}

/* One-output op call with string attributes. */
static mx_tensor call(const char *op, mx_tensor *in, int n_in, const char **keys, const char **vals, int n_attr) {
    mx_tensor out[4];
    int n_out = 0;
    ok(mx_invoke_by_name(op, in, n_in, keys, vals, n_attr, out, 4, &n_out), op);
    for (int i = 1; i < n_out; i++) mx_tensor_release(out[i]);
    return out[0];
}

static float uniform(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f;
}

int main(void) {
    if (mx_abi_version() != MX_ABI_VERSION) {
        fprintf(stderr, "mxcore ABI mismatch: header %d, library %d\n", MX_ABI_VERSION, mx_abi_version());
        return 1;
    }
    unsigned seed = 42;
    /* synthetic data: class = argmax of three fixed projections */
    float x[N * D], y[N], w1[H * D], w2[C * H];
    for (int i = 0; i < N; i++) {
        float s[C] = {0};
        for (int j = 0; j < D; j++) {
            x[i * D + j] = uniform(&seed) * 2 - 1;
            for (int c = 0; c < C; c++) s[c] += x[i * D + j] * (float)((j + c) % 3 - 1);
        }
        int best = 0;
        for (int c = 1; c < C; c++) if (s[c] > s[best]) best = c;
        y[i] = (float)best;
    }
    for (int i = 0; i < H * D; i++) w1[i] = (uniform(&seed) * 2 - 1) * 0.5f;
    for (int i = 0; i < C * H; i++) w2[i] = (uniform(&seed) * 2 - 1) * 0.5f;

    int64_t sx[2] = {N, D}, sy[1] = {N}, sw1[2] = {H, D}, sb1[1] = {H}, sw2[2] = {C, H}, sb2[1] = {C};
    mx_tensor X = tensor(sx, 2, x), Y = tensor(sy, 1, y);
    mx_tensor params[4] = {tensor(sw1, 2, w1), tensor(sb1, 1, NULL), tensor(sw2, 2, w2), tensor(sb2, 1, NULL)};
    ok(mx_autograd_mark_variables(params, NULL, NULL, 4), "mark_variables");

    const char *fc_k[] = {"num_hidden"}, *fc1_v[] = {"32"}, *fc2_v[] = {"3"};
    const char *act_k[] = {"act_type"}, *act_v[] = {"relu"};
    const char *sgd_k[] = {"lr", "rescale_grad"}, *sgd_v[] = {"0.5", "0.015625"}; /* 1/N */
    float first = 0, last = 0;
    for (int step = 0; step < 100; step++) {
        ok(mx_autograd_set_recording(1, NULL), "record");
        mx_tensor in1[3] = {X, params[0], params[1]};
        mx_tensor h = call("FullyConnected", in1, 3, fc_k, fc1_v, 1);
        mx_tensor a = call("Activation", &h, 1, act_k, act_v, 1);
        mx_tensor in2[3] = {a, params[2], params[3]};
        mx_tensor logits = call("FullyConnected", in2, 3, fc_k, fc2_v, 1);
        mx_tensor in3[2] = {logits, Y};
        mx_tensor loss = call("softmax_cross_entropy", in3, 2, NULL, NULL, 0);
        ok(mx_autograd_set_recording(0, NULL), "record off");
        ok(mx_autograd_backward(&loss, NULL, 1, 0, 0), "backward");
        float l;
        ok(mx_tensor_copy_to_host(loss, &l, sizeof l), "loss");
        l /= N;
        if (step == 0) first = l;
        last = l;
        if (step % 20 == 0 || step == 99) printf("step %3d  loss %.4f\n", step, l);
        for (int p = 0; p < 4; p++) {
            mx_tensor g;
            ok(mx_tensor_grad(params[p], &g), "grad");
            mx_tensor in[2] = {params[p], g};
            mx_tensor out[1] = {params[p]};
            int n_out = 1; /* out= form: update the weight in place */
            ok(mx_invoke_by_name("sgd_update", in, 2, sgd_k, sgd_v, 2, out, 1, &n_out), "sgd_update");
            mx_tensor_release(g);
        }
        mx_tensor_release(h);
        mx_tensor_release(a);
        mx_tensor_release(logits);
        mx_tensor_release(loss);
    }
    printf("loss first %.4f last %.4f\n", first, last);
    for (int p = 0; p < 4; p++) mx_tensor_release(params[p]);
    mx_tensor_release(X);
    mx_tensor_release(Y);
    return last < first * 0.5f ? 0 : 2;
}
