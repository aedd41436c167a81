/* check.h — minimal assertion helpers for the C tests (no framework needed). */
#ifndef MXCORE_TESTS_CHECK_H
#define MXCORE_TESTS_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxcore/mxcore.h"

static int check_failures = 0;
#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
            check_failures++;                                                           \
        }                                                                               \
    } while (0)
#define CHECK_OK(expr)                                                                  \
    do {                                                                                \
        int rc_ = (expr);                                                               \
        if (rc_ != MX_OK) {                                                             \
            fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #expr,   \
                    rc_, mx_last_error());                                              \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)
/* expect failure whose message contains `needle` */
#define CHECK_ERR(expr, needle)                                                         \
    do {                                                                                \
        int rc_ = (expr);                                                               \
        if (rc_ == MX_OK || !strstr(mx_last_error(), needle)) {                         \
            fprintf(stderr, "%s:%d: expected error containing '%s' from %s, got %d: %s\n", \
                    __FILE__, __LINE__, needle, #expr, rc_, mx_last_error());           \
            check_failures++;                                                           \
        }                                                                               \
    } while (0)
#define CHECK_NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))
#define TEST_DONE()                                                                     \
    do {                                                                                \
        if (check_failures) {                                                           \
            fprintf(stderr, "%d check(s) failed\n", check_failures);                    \
            return 1;                                                                   \
        }                                                                               \
        printf("ok\n");                                                                 \
        return 0;                                                                       \
    } while (0)
#endif
