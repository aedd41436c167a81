/* json_reader.h — a small DOM JSON parser for symbol files and graph
 * requests. Values live in one arena freed with mxi_jv_free. Errors report
 * the byte offset. */
#ifndef MXCORE_CORE_JSON_READER_H
#define MXCORE_CORE_JSON_READER_H

#include <stddef.h>
#include <stdint.h>

typedef enum { MXI_JV_NULL, MXI_JV_BOOL, MXI_JV_NUM, MXI_JV_STR, MXI_JV_ARR, MXI_JV_OBJ } mxi_jv_type;

typedef struct mxi_jv {
    mxi_jv_type type;
    double num;          /* NUM, BOOL (0/1) */
    char *str;           /* STR (NUL-terminated, unescaped) */
    int n;               /* ARR / OBJ element count */
    struct mxi_jv *items;/* ARR elements / OBJ values */
    char **keys;         /* OBJ keys */
} mxi_jv;

/* Parse `text`; on success *out owns everything (free with mxi_jv_free). On
 * failure returns MX_ERR_INVALID with an error naming `what` and the offset. */
int mxi_jv_parse(const char *text, const char *what, mxi_jv **out);
void mxi_jv_free(mxi_jv *v);
/* Object member by key or NULL. */
const mxi_jv *mxi_jv_get(const mxi_jv *obj, const char *key);

#endif
