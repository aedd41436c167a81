/* test_graph.c — symbol JSON parse, listing, inference, run vs eager,
 * serialisation round trip, and malformed graphs failing with node names. */
#include "check.h"

static const char *MLP =
    "{\"nodes\":["
    "{\"op\":\"null\",\"name\":\"data\",\"inputs\":[]},"
    "{\"op\":\"null\",\"name\":\"fc1_weight\",\"attrs\":{\"__shape__\":\"(4, 3)\"},\"inputs\":[]},"
    "{\"op\":\"null\",\"name\":\"fc1_bias\",\"inputs\":[]},"
    "{\"op\":\"FullyConnected\",\"name\":\"fc1\",\"attrs\":{\"num_hidden\":\"4\"},\"inputs\":[[0,0,0],[1,0,0],[2,0,0]]},"
    "{\"op\":\"Activation\",\"name\":\"relu1\",\"param\":{\"act_type\":\"relu\"},\"inputs\":[[3,0]]},"
    "{\"op\":\"_mul_scalar\",\"name\":\"scale\",\"attrs\":{\"scalar\":\"2\"},\"inputs\":[[4,0,0]]}"
    "],\"arg_nodes\":[0,1,2],\"heads\":[[5,0,0]]}";

static mx_tensor make(const int64_t *shape, int nd, const float *v) {
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor t;
    CHECK_OK(mx_tensor_create(shape, nd, MX_FLOAT32, cpu, &t));
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    CHECK_OK(mx_tensor_copy_from_host(t, v, (size_t)n * 4));
    return t;
}

int main(void) {
    mx_graph g;
    CHECK_OK(mx_graph_from_json(MLP, &g));
    int n;
    const char *const *names;
    CHECK_OK(mx_graph_list(g, MX_GRAPH_ARGUMENTS, &n, &names));
    CHECK(n == 3 && !strcmp(names[0], "data") && !strcmp(names[2], "fc1_bias"));
    CHECK_OK(mx_graph_list(g, MX_GRAPH_OUTPUTS, &n, &names));
    CHECK(n == 1 && !strcmp(names[0], "scale_output"));

    const char *res;
    CHECK_OK(mx_graph_infer(g, "{\"data\":{\"shape\":[2,3]},\"fc1_weight\":{\"shape\":[4,3]},\"fc1_bias\":{\"shape\":[4]}}", 0, &res));
    CHECK(strstr(res, "\"complete\":true") && strstr(res, "\"outputs\":[{\"shape\":[2,4]"));
    /* parameter shapes follow from the data (MXNet's backward inference) */
    CHECK_OK(mx_graph_infer(g, "{\"data\":{\"shape\":[2,3]}}", 0, &res));
    CHECK(strstr(res, "\"complete\":true") && strstr(res, "\"fc1_weight\":{\"shape\":[4,3]"));
    CHECK_ERR(mx_graph_infer(g, "{}", 0, &res), "data");
    CHECK_OK(mx_graph_infer(g, "{}", 1, &res));
    CHECK(strstr(res, "\"complete\":false"));

    int64_t sd[2] = {2, 3}, sw[2] = {4, 3}, sb[1] = {4};
    float d[6] = {1, -2, 3, 0.5f, 1, -1}, w[12], b[4] = {0.1f, -0.2f, 0.3f, -5};
    for (int i = 0; i < 12; i++) w[i] = (float)(i % 5) - 2;
    mx_tensor args[3] = {make(sd, 2, d), make(sw, 2, w), make(sb, 1, b)};
    mx_tensor out[1];
    CHECK_OK(mx_graph_run(g, args, 3, NULL, 0, 0, out, 1, &n));
    float got[8];
    CHECK_OK(mx_tensor_copy_to_host(out[0], got, sizeof got));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            float s = b[j];
            for (int k = 0; k < 3; k++) s += d[i * 3 + k] * w[j * 3 + k];
            CHECK_NEAR(got[i * 4 + j], 2 * (s > 0 ? s : 0), 1e-5);
        }
    mx_tensor_release(out[0]);
    /* wrong argument count */
    CHECK_ERR(mx_graph_run(g, args, 2, NULL, 0, 0, out, 1, &n), "3 argument");
    /* round trip */
    const char *js;
    CHECK_OK(mx_graph_to_json(g, &js));
    mx_graph g2;
    CHECK_OK(mx_graph_from_json(js, &g2));
    CHECK_OK(mx_graph_run(g2, args, 3, NULL, 0, 0, out, 1, &n));
    float got2[8];
    CHECK_OK(mx_tensor_copy_to_host(out[0], got2, sizeof got2));
    for (int i = 0; i < 8; i++) CHECK_NEAR(got2[i], got[i], 0);
    mx_tensor_release(out[0]);
    mx_graph_release(g2);
    for (int i = 0; i < 3; i++) mx_tensor_release(args[i]);
    mx_graph_release(g);

    /* outputs are named after visible outputs only (BatchNorm hides 2) */
    CHECK_OK(mx_graph_from_json("{\"nodes\":[{\"op\":\"null\",\"name\":\"x\",\"inputs\":[]},"
                                "{\"op\":\"null\",\"name\":\"g\",\"inputs\":[]},{\"op\":\"null\",\"name\":\"b\",\"inputs\":[]},"
                                "{\"op\":\"null\",\"name\":\"m\",\"inputs\":[]},{\"op\":\"null\",\"name\":\"v\",\"inputs\":[]},"
                                "{\"op\":\"BatchNorm\",\"name\":\"bn\",\"inputs\":[[0,0,0],[1,0,0],[2,0,0],[3,0,0],[4,0,0]]}],"
                                "\"heads\":[[5,0,0]]}", &g));
    CHECK_OK(mx_graph_list(g, MX_GRAPH_OUTPUTS, &n, &names));
    CHECK(n == 1 && !strcmp(names[0], "bn_output"));
    CHECK_OK(mx_graph_list(g, MX_GRAPH_AUX_STATES, &n, &names));
    CHECK(n == 2 && !strcmp(names[0], "m") && !strcmp(names[1], "v"));
    mx_graph_release(g);

    /* memory planning: a chain of elementwise ops runs in one buffer when not
     * recording (each intermediate is donated to its consumer) */
    CHECK_OK(mx_graph_from_json("{\"nodes\":[{\"op\":\"null\",\"name\":\"x\",\"inputs\":[]},"
                                "{\"op\":\"relu\",\"name\":\"a\",\"inputs\":[[0,0,0]]},"
                                "{\"op\":\"_mul_scalar\",\"name\":\"b\",\"attrs\":{\"scalar\":\"3\"},\"inputs\":[[1,0,0]]},"
                                "{\"op\":\"_plus_scalar\",\"name\":\"c\",\"attrs\":{\"scalar\":\"1\"},\"inputs\":[[2,0,0]]},"
                                "{\"op\":\"negative\",\"name\":\"d\",\"inputs\":[[3,0,0]]}],"
                                "\"heads\":[[4,0,0]]}", &g));
    int64_t sbig[1] = {1 << 18};
    mx_device cpu0 = {MX_DEV_CPU, 0};
    mx_tensor big;
    CHECK_OK(mx_tensor_create(sbig, 1, MX_FLOAT32, cpu0, &big));
    CHECK_OK(mx_tensor_fill(big, -2.0));
    int64_t cur0, peak;
    CHECK_OK(mx_memory_stats(&cur0, NULL));
    CHECK_OK(mx_memory_reset_peak());
    CHECK_OK(mx_graph_run(g, &big, 1, NULL, 0, 0, out, 1, &n));
    CHECK_OK(mx_memory_stats(NULL, &peak));
    CHECK(peak - cur0 == (int64_t)sizeof(float) << 18); /* one buffer for the whole chain */
    float first;
    int64_t one = 1;
    mx_tensor head;
    CHECK_OK(mx_tensor_slice_view(out[0], 0, 0, one, 1, &head));
    CHECK_OK(mx_tensor_copy_to_host(head, &first, sizeof first));
    CHECK_NEAR(first, -1.0, 0); /* -(3*relu(-2)+1) */
    mx_tensor_release(head);
    mx_tensor_release(out[0]);
    mx_tensor_release(big);

    /* the chain is planned as one fused chain, and the fused run (not
     * recording) equals the node-by-node run (recording) exactly */
    CHECK_OK(mx_graph_infer(g, "{\"x\":{\"shape\":[10003]}}", 0, &res));
    CHECK(strstr(res, "\"fused_chains\":1") && strstr(res, "\"fused_nodes\":4"));
    int64_t sodd[1] = {10003}; /* not a multiple of the block size */
    float *xv = malloc(sizeof(float) * 10003), *f1 = malloc(sizeof(float) * 10003), *f2 = malloc(sizeof(float) * 10003);
    for (int i = 0; i < 10003; i++) xv[i] = (float)((i * 7919) % 201 - 100) / 17.0f;
    mx_tensor xo;
    CHECK_OK(mx_tensor_create(sodd, 1, MX_FLOAT32, cpu0, &xo));
    CHECK_OK(mx_tensor_copy_from_host(xo, xv, sizeof(float) * 10003));
    CHECK_OK(mx_graph_run(g, &xo, 1, NULL, 0, 0, out, 1, &n));
    CHECK_OK(mx_tensor_copy_to_host(out[0], f1, sizeof(float) * 10003));
    mx_tensor_release(out[0]);
    CHECK_OK(mx_autograd_set_recording(1, NULL));
    CHECK_OK(mx_graph_run(g, &xo, 1, NULL, 0, 0, out, 1, &n));
    CHECK_OK(mx_autograd_set_recording(0, NULL));
    CHECK_OK(mx_tensor_copy_to_host(out[0], f2, sizeof(float) * 10003));
    mx_tensor_release(out[0]);
    for (int i = 0; i < 10003; i++) {
        float want = -(3 * (xv[i] > 0 ? xv[i] : 0) + 1);
        CHECK_NEAR(f1[i], want, 1e-5);
        CHECK(f1[i] == f2[i]);
    }
    free(xv);
    free(f1);
    free(f2);
    mx_tensor_release(xo);
    mx_graph_release(g);

    /* malformed graphs */
    mx_graph bad;
    CHECK_ERR(mx_graph_from_json("{\"nodes\":[{\"op\":\"NoSuchOp\",\"name\":\"x1\",\"inputs\":[]}],\"heads\":[[0,0,0]]}", &bad), "x1");
    CHECK_ERR(mx_graph_from_json("{\"nodes\":[{\"op\":\"null\",\"name\":\"a\",\"inputs\":[]},"
                                 "{\"op\":\"relu\",\"name\":\"r\",\"inputs\":[[5,0,0]]}],\"heads\":[[1,0,0]]}", &bad), "'r'");
    CHECK_ERR(mx_graph_from_json("{\"nodes\":[", &bad), "malformed JSON");
    CHECK_ERR(mx_graph_release((mx_graph)args), "graph");
    /* a pre-0.9 file (no version) lists no aux states: MXNet's upgrade inserts them */
    static const char *OLD_BN =
        "{\"nodes\":["
        "{\"op\":\"null\",\"param\":{},\"name\":\"data\",\"inputs\":[],\"backward_source_id\":-1},"
        "{\"op\":\"null\",\"param\":{},\"name\":\"bn_gamma\",\"inputs\":[]},"
        "{\"op\":\"null\",\"param\":{},\"name\":\"bn_beta\",\"inputs\":[]},"
        "{\"op\":\"BatchNorm\",\"param\":{\"eps\":\"2e-05\"},\"name\":\"bn\",\"inputs\":[[0,0],[1,0],[2,0]]}"
        "],\"arg_nodes\":[0,1,2],\"heads\":[[3,0]]}";
    mx_graph old;
    CHECK_OK(mx_graph_from_json(OLD_BN, &old));
    CHECK_OK(mx_graph_list(old, MX_GRAPH_AUX_STATES, &n, &names));
    CHECK(n == 2 && !strcmp(names[0], "bn_moving_mean") && !strcmp(names[1], "bn_moving_var"));
    CHECK_OK(mx_graph_list(old, MX_GRAPH_ARGUMENTS, &n, &names));
    CHECK(n == 3);
    CHECK_OK(mx_graph_release(old));
    TEST_DONE();
}
