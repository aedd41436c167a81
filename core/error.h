/* error.h — thread-local error reporting used by every fallible core function.
 * Pattern: `return mxi_error(MX_ERR_INVALID, "dot: shapes %s and %s ...", ...)`
 * sets the message and returns the (negative) code. */
#ifndef MXCORE_CORE_ERROR_H
#define MXCORE_CORE_ERROR_H

#include "mxcore/mxcore.h"

#if defined(__GNUC__)
#define MXI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MXI_PRINTF(a, b)
#endif

/* Set the thread-local error (printf-style) and return `code`. */
int mxi_error(int code, const char *fmt, ...) MXI_PRINTF(2, 3);
/* Prefix the current message with "context: " (keeps the code); returns code. */
int mxi_error_prefix(int code, const char *fmt, ...) MXI_PRINTF(2, 3);
/* Clear the error state of this thread. */
void mxi_error_clear(void);

/* Propagate a failing status. */
#define MXI_TRY(expr)                  \
    do {                               \
        int mxi_rc_ = (expr);          \
        if (mxi_rc_ != MX_OK) return mxi_rc_; \
    } while (0)

#endif
