/* test_threads.c — the thread pool under concurrent callers: four threads
 * run ops of many sizes at once (one gets the pool, the others run inline),
 * the pool is resized while idle, and every result is checked. Catches
 * deadlocks (ctest's timeout) and lost or duplicated chunks. */
#include <pthread.h>

#include "check.h"

static int failures;

static void *run(void *arg) {
    long id = (long)arg;
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_op add;
    if (mx_op_lookup("elemwise_add", &add) != MX_OK) { __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST); return NULL; }
    for (int it = 0; it < 200; it++) {
        int64_t n = 1000 + (it * 7919 + id * 104729) % 300000;
        mx_tensor a, b, c, last;
        if (mx_tensor_create(&n, 1, MX_FLOAT32, cpu, &a) || mx_tensor_create(&n, 1, MX_FLOAT32, cpu, &b) ||
            mx_tensor_fill(a, 1.0) || mx_tensor_fill(b, (double)id) || mx_op_call2(add, a, b, &c)) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
            return NULL;
        }
        float first, lastv;
        mx_tensor_slice_view(c, 0, n - 1, n, 1, &last);
        mx_tensor_copy_to_host(last, &lastv, sizeof lastv);
        mx_tensor_release(last);
        mx_tensor_slice_view(c, 0, 0, 1, 1, &last);
        mx_tensor_copy_to_host(last, &first, sizeof first);
        mx_tensor_release(last);
        if (first != 1.0f + (float)id || lastv != 1.0f + (float)id) __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
        mx_tensor_release(a);
        mx_tensor_release(b);
        mx_tensor_release(c);
    }
    return NULL;
}

int main(void) {
    pthread_t t[3];
    for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, run, (void *)i);
    run((void *)3);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    int n;
    CHECK_OK(mx_get_num_threads(&n));
    CHECK_OK(mx_set_num_threads(3));
    run((void *)4);
    CHECK_OK(mx_set_num_threads(n));
    run((void *)5);
    CHECK_ERR(mx_set_num_threads(0), "set_num_threads");
    CHECK(failures == 0);
    TEST_DONE();
}
