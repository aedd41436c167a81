/* test_core_smoke.c — tensor lifecycle, invoke, autograd and error paths. */
#include "check.h"

int main(void) {
    int64_t shape[2] = {2, 3};
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor a, b;
    CHECK_OK(mx_tensor_create(shape, 2, MX_FLOAT32, cpu, &a));
    CHECK_OK(mx_tensor_create(shape, 2, MX_FLOAT32, cpu, &b));
    float av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {10, 20, 30, 40, 50, 60}, ov[6];
    CHECK_OK(mx_tensor_copy_from_host(a, av, sizeof av));
    CHECK_OK(mx_tensor_copy_from_host(b, bv, sizeof bv));

    mx_op add;
    CHECK_OK(mx_op_lookup("elemwise_add", &add));
    mx_tensor in[2] = {a, b}, out[1];
    int n_out = 0;
    CHECK_OK(mx_op_invoke(add, in, 2, NULL, NULL, 0, out, 1, &n_out));
    CHECK(n_out == 1);
    CHECK_OK(mx_tensor_copy_to_host(out[0], ov, sizeof ov));
    for (int i = 0; i < 6; i++) CHECK_NEAR(ov[i], av[i] + bv[i], 0);
    mx_tensor_release(out[0]);

    /* autograd: d/da sum(a*b) = b */
    int reqs[2] = {MX_GRAD_WRITE, MX_GRAD_WRITE};
    CHECK_OK(mx_autograd_mark_variables(in, reqs, NULL, 2));
    /* no buffer yet: reading the grad of a fresh variable gives zeros */
    mx_tensor gb;
    CHECK_OK(mx_tensor_grad(b, &gb));
    CHECK_OK(mx_tensor_copy_to_host(gb, ov, sizeof ov));
    for (int i = 0; i < 6; i++) CHECK_NEAR(ov[i], 0, 0);
    mx_tensor_release(gb);
    CHECK_OK(mx_autograd_set_recording(1, NULL));
    mx_op mul;
    CHECK_OK(mx_op_lookup("elemwise_mul", &mul));
    n_out = 0;
    CHECK_OK(mx_op_invoke(mul, in, 2, NULL, NULL, 0, out, 1, &n_out));
    CHECK_OK(mx_autograd_set_recording(0, NULL));
    CHECK_OK(mx_autograd_backward(out, NULL, 1, 0, 0));
    mx_tensor ga;
    CHECK_OK(mx_tensor_grad(a, &ga));
    CHECK_OK(mx_tensor_copy_to_host(ga, ov, sizeof ov));
    for (int i = 0; i < 6; i++) CHECK_NEAR(ov[i], bv[i], 0);
    mx_tensor_release(ga);
    mx_tensor_release(out[0]);

    /* errors: shape mismatch names the op and shapes; outputs untouched */
    int64_t s2[1] = {4};
    mx_tensor c;
    CHECK_OK(mx_tensor_create(s2, 1, MX_FLOAT32, cpu, &c));
    mx_tensor bad[2] = {a, c};
    mx_tensor sentinel = (mx_tensor)0x1;
    out[0] = sentinel;
    n_out = 0;
    CHECK_ERR(mx_op_invoke(add, bad, 2, NULL, NULL, 0, out, 1, &n_out), "elemwise_add");
    CHECK(strstr(mx_last_error(), "(2,3)") && strstr(mx_last_error(), "(4,)"));
    CHECK(out[0] == sentinel);
    /* freed handle */
    mx_tensor_release(c);
    CHECK_ERR(mx_tensor_release(c), "not a live tensor");
    CHECK_ERR(mx_op_invoke(add, bad, 2, NULL, NULL, 0, out, 1, &n_out), "not a live tensor");
    CHECK_ERR(mx_op_lookup("no_such_op", &add), "no_such_op");
    mx_tensor_release(a);
    mx_tensor_release(b);
    TEST_DONE();
}
