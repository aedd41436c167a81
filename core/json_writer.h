/* json_writer.h — a tiny append-only JSON writer (manifest, features, graph
 * JSON). Handles commas between members and string escaping. */
#ifndef MXCORE_CORE_JSON_WRITER_H
#define MXCORE_CORE_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct mxi_json {
    char *buf;
    size_t len, cap;
    int need_comma[64]; /* per nesting level */
    int depth;
    int after_key;
} mxi_json;

void mxi_json_init(mxi_json *j);
void mxi_json_begin_object(mxi_json *j);
void mxi_json_end_object(mxi_json *j);
void mxi_json_begin_array(mxi_json *j);
void mxi_json_end_array(mxi_json *j);
void mxi_json_key(mxi_json *j, const char *key);
void mxi_json_string(mxi_json *j, const char *s);
void mxi_json_string_n(mxi_json *j, const char *s, size_t n);
void mxi_json_int(mxi_json *j, int64_t v);
void mxi_json_double(mxi_json *j, double v);
void mxi_json_bool(mxi_json *j, int v);
void mxi_json_null(mxi_json *j);
void mxi_json_raw(mxi_json *j, const char *raw); /* pre-formatted value */
/* Hand the NUL-terminated buffer to the caller (free() it). */
char *mxi_json_take(mxi_json *j);

#endif
