/* predict.c — embedding mxcore from C to serve an MXNet model: load a
 * checkpoint that MXNet (or mxcore) wrote — prefix-symbol.json and
 * prefix-%04d.params — bind an input, run the graph once, print the output.
 *
 *   predict PREFIX EPOCH INPUT.params [INPUT_NAME]
 *
 * INPUT.params is an NDArray file (mx.nd.save) whose array "x" (or its only
 * array) is the input; INPUT_NAME defaults to "data". If the file also holds
 * an array "y", the output is compared with it and the program exits 1 when
 * they differ by more than 1e-4 (how the test suite uses it). Build:
 *   cc predict.c $(pkg-config --cflags --libs mxcore) -o predict
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mxcore/mxcore.h>

/* Exit with the library's message on any error. */
static void ok(int rc, const char *what) {
    if (rc != MX_OK) {
        fprintf(stderr, "%s failed: %s\n", what, mx_last_error());
        exit(2);
    }
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "%s: read failed\n", path); exit(2); }
    s[n] = 0;
    fclose(f);
    return s;
}

/* The array called `name` in a loaded file (a new reference), or NULL. */
static mx_tensor find(mx_load_result r, int n, const char *name) {
    for (int i = 0; i < n; i++) {
        mx_tensor t;
        const char *k;
        ok(mx_load_get(r, i, &t, &k), "mx_load_get");
        if (k && !strcmp(k, name)) return t;
        mx_tensor_release(t);
    }
    return NULL;
}

static float *to_host(mx_tensor t, int64_t *size) {
    ok(mx_tensor_size(t, size), "mx_tensor_size");
    float *v = malloc(sizeof(float) * (size_t)(*size ? *size : 1));
    if (!v) exit(2);
    ok(mx_tensor_copy_to_host(t, v, sizeof(float) * (size_t)*size), "mx_tensor_copy_to_host");
    return v;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PREFIX EPOCH INPUT.params [INPUT_NAME]\n", argv[0]);
        return 2;
    }
    const char *prefix = argv[1], *input_name = argc > 4 ? argv[4] : "data";
    char path[4096];

    /* the graph */
    snprintf(path, sizeof path, "%s-symbol.json", prefix);
    char *json = read_file(path);
    mx_graph g;
    ok(mx_graph_from_json(json, &g), "mx_graph_from_json");
    free(json);

    /* the parameters: "arg:<name>" / "aux:<name>" arrays */
    snprintf(path, sizeof path, "%s-%04d.params", prefix, atoi(argv[2]));
    mx_load_result params, io;
    int n_params, n_io;
    ok(mx_load(path, &params, &n_params), "mx_load (parameters)");
    ok(mx_load(argv[3], &io, &n_io), "mx_load (input)");
    mx_tensor x = find(io, n_io, "x");
    if (!x && n_io == 1) ok(mx_load_get(io, 0, &x, &(const char *){NULL}), "mx_load_get");
    if (!x) { fprintf(stderr, "%s: no array \"x\"\n", argv[3]); return 2; }

    /* bind every argument and auxiliary state by name, in the graph's order */
    int n_args, n_aux, n_heads;
    const char *const *arg_names, *const *aux_names, *const *out_names;
    ok(mx_graph_list(g, MX_GRAPH_ARGUMENTS, &n_args, &arg_names), "mx_graph_list");
    ok(mx_graph_list(g, MX_GRAPH_AUX_STATES, &n_aux, &aux_names), "mx_graph_list");
    ok(mx_graph_list(g, MX_GRAPH_OUTPUTS, &n_heads, &out_names), "mx_graph_list");
    mx_tensor *args = calloc((size_t)n_args + 1, sizeof *args), *aux = calloc((size_t)n_aux + 1, sizeof *aux);
    mx_tensor *outs = calloc((size_t)n_heads + 1, sizeof *outs);
    if (!args || !aux || !outs) return 2;
    int bound = 0;
    for (int i = 0; i < n_args; i++) {
        if (!strcmp(arg_names[i], input_name)) {
            args[i] = x;
            bound = 1;
            continue;
        }
        snprintf(path, sizeof path, "arg:%s", arg_names[i]);
        if (!(args[i] = find(params, n_params, path))) {
            fprintf(stderr, "the parameter file has no \"%s\" (and the input is \"%s\")\n", path, input_name);
            return 2;
        }
    }
    if (!bound) {
        fprintf(stderr, "the graph has no argument \"%s\" (give the input's name as the 4th argument)\n", input_name);
        return 2;
    }
    for (int i = 0; i < n_aux; i++) {
        snprintf(path, sizeof path, "aux:%s", aux_names[i]);
        if (!(aux[i] = find(params, n_params, path))) {
            fprintf(stderr, "the parameter file has no \"%s\"\n", path);
            return 2;
        }
    }

    /* one inference run (is_train = 0) */
    int n_out;
    ok(mx_graph_run(g, args, n_args, aux, n_aux, 0, outs, n_heads, &n_out), "mx_graph_run");
    int64_t size;
    float *y = to_host(outs[0], &size);
    printf("%s:", out_names[0]);
    for (int64_t i = 0; i < size && i < 10; i++) printf(" %.5f", y[i]);
    printf("%s\n", size > 10 ? " ..." : "");

    /* compare with the expected output when the input file carries one */
    int status = 0;
    mx_tensor want = find(io, n_io, "y");
    if (want) {
        int64_t wsize;
        float *w = to_host(want, &wsize);
        double worst = wsize == size ? 0 : INFINITY;
        for (int64_t i = 0; i < size && wsize == size; i++) worst = fmax(worst, fabs((double)y[i] - w[i]));
        printf("max |output - expected| = %.3g\n", worst);
        status = worst <= 1e-4 ? 0 : 1;
        free(w);
        mx_tensor_release(want);
    }
    free(y);
    for (int i = 0; i < n_out; i++) mx_tensor_release(outs[i]);
    for (int i = 0; i < n_args; i++) mx_tensor_release(args[i]);
    for (int i = 0; i < n_aux; i++) mx_tensor_release(aux[i]);
    free(args);
    free(aux);
    free(outs);
    mx_load_release(params);
    mx_load_release(io);
    mx_graph_release(g);
    return status;
}
