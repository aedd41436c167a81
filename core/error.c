/* error.c — thread-local last-error message and code (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MXI_ERR_LEN 2048

static _Thread_local char err_msg[MXI_ERR_LEN];
static _Thread_local int err_code = MX_OK;

int mxi_error(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    err_code = code;
    return code;
}

int mxi_error_prefix(int code, const char *fmt, ...) {
    char prefix[512], old[MXI_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_msg, sizeof old);
    size_t pl = strlen(prefix);
    if (pl > sizeof err_msg - 3) pl = sizeof err_msg - 3;
    memcpy(err_msg, prefix, pl);
    memcpy(err_msg + pl, ": ", 2);
    size_t ol = strlen(old);
    if (ol > sizeof err_msg - pl - 3) ol = sizeof err_msg - pl - 3;
    memcpy(err_msg + pl + 2, old, ol);
    err_msg[pl + 2 + ol] = 0;
    err_code = code;
    return code;
}

void mxi_error_clear(void) {
    err_msg[0] = '\0';
    err_code = MX_OK;
}

const char *mx_last_error(void) { return err_msg; }
int mx_last_error_code(void) { return err_code; }
