/* sort_order.h — ranking of the lines of a tensor (sort_order.c), for
 * sort, argsort and topk. */
#ifndef MXCORE_CORE_OPS_SORT_ORDER_H
#define MXCORE_CORE_OPS_SORT_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "../op.h"

/* x viewed as (outer, n, inner), ranked along n: returns order[line * k + r]
 * = the position (0..n-1) of rank r in line l = o * inner + i, for the first
 * k ranks (k <= n), ascending or descending; ties rank by position, NaN
 * above +inf. The caller frees the result; NULL with the error set when
 * memory runs out. Any dtype (read as double). */
int64_t *mxi_sorted_order(const mx_tensor_s *x, int64_t outer, int64_t n, int64_t inner, bool asc, int64_t k);

#endif
