/* test_fuzz_ops.c — call every registered op with random and malformed
 * arguments (wrong input counts, NULL and released handles, odd shapes and
 * dtypes, ill-typed attributes). Any outcome is fine except a crash, an abort,
 * a sanitizer report or a failure without a message. Run under ASan+UBSan in CI. */
#include <stdint.h>

#include "check.h"

static unsigned rng_state = 12345;
static unsigned rnd(unsigned n) {
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* names of ops from the manifest: objects that start {"name":"X","aliases" */
static int op_names(char names[][64], int max) {
    const char *json;
    CHECK_OK(mx_registry_json(&json));
    int n = 0;
    const char *p = json;
    while ((p = strstr(p, "{\"name\":\"")) && n < max) {
        p += 9;
        const char *e = strchr(p, '"');
        if (strncmp(e, "\",\"aliases\"", 11) == 0 && e - p < 63) {
            memcpy(names[n], p, (size_t)(e - p));
            names[n][e - p] = 0;
            n++;
        }
        p = e;
    }
    return n;
}

static const int dtypes[] = {MX_FLOAT32, MX_FLOAT64, MX_FLOAT16, MX_INT32, MX_INT64, MX_UINT8, MX_INT8, MX_BOOL, MX_BFLOAT16};
static const char *keys[] = {"axis", "shape", "num_hidden", "kernel", "p", "act_type", "dtype", "num_args", "k",
                             "scalar", "lr", "begin", "end", "axes", "depth", "num_outputs", "bogus_attr", "reps", "stride", "pad"};
static const char *vals[] = {"-1", "0", "1", "2", "3", "abc", "(2,3)", "(1,)", "None", "True", "", "(0,0)", "-7", "float32", "relu", "(2,2)"};

static mx_tensor random_tensor(void) {
    int64_t shape[4];
    int nd = (int)rnd(5);
    for (int i = 0; i < nd; i++) shape[i] = rnd(4);
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor t = NULL;
    CHECK_OK(mx_tensor_create(shape, nd, dtypes[rnd(sizeof dtypes / sizeof dtypes[0])], cpu, &t));
    return t;
}

int main(void) {
    static char names[2048][64];
    int n = op_names(names, 2048);
    CHECK(n > 0);
    mx_tensor dead = random_tensor();
    mx_tensor_release(dead);
    long calls = 0, ok_calls = 0;
    int verbose = getenv("FUZZ_VERBOSE") != NULL; /* print each call (to find a crashing op) */
    if (getenv("FUZZ_SEED")) rng_state = (unsigned)atol(getenv("FUZZ_SEED"));
    const char *skip = getenv("FUZZ_SKIP"); /* debugging aid: ",op1,op2," */
    for (int i = 0; i < n; i++) {
        char key[80];
        snprintf(key, sizeof key, ",%s,", names[i]);
        if (skip && strstr(skip, key)) continue;
        for (int trial = 0; trial < 30; trial++) {
            mx_tensor in[4] = {0};
            int n_in = (int)rnd(5);
            for (int k = 0; k < n_in; k++) in[k] = random_tensor();
            mx_tensor saved = NULL;
            if (n_in && trial % 10 == 7) { saved = in[0]; in[0] = NULL; }          /* NULL handle */
            if (n_in && trial % 10 == 8) { saved = in[0]; in[0] = dead; }          /* released handle */
            const char *ak[3], *av[3];
            int na = (int)rnd(4);
            for (int a = 0; a < na; a++) {
                ak[a] = keys[rnd(sizeof keys / sizeof keys[0])];
                av[a] = vals[rnd(sizeof vals / sizeof vals[0])];
            }
            mx_tensor out[64];
            int n_out = 0;
            if (verbose) { fprintf(stderr, "%s n_in=%d\n", names[i], n_in); fflush(stderr); }
            int rc = mx_invoke_by_name(names[i], in, n_in, ak, av, na, out, 64, &n_out);
            calls++;
            if (rc == MX_OK) {
                ok_calls++;
                for (int k = 0; k < n_out; k++) mx_tensor_release(out[k]);
            } else if (!mx_last_error()[0]) {
                fprintf(stderr, "op %s failed with code %d but no message\n", names[i], rc);
                check_failures++;
            }
            if (saved) in[0] = saved;
            for (int k = 0; k < n_in; k++) mx_tensor_release(in[k]);
        }
    }
    printf("%d ops, %ld calls, %ld succeeded, the rest failed cleanly\n", n, calls, ok_calls);
    TEST_DONE();
}
