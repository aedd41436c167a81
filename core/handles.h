/* handles.h — the set of live tensor handles. Validation looks a pointer up
 * here before touching it, so NULL, released and foreign pointers are
 * reported instead of dereferenced (a freed pointer is never read). */
#ifndef MXCORE_CORE_HANDLES_H
#define MXCORE_CORE_HANDLES_H

#include <stdbool.h>

int mxi_handles_add(const void *p);    /* MX_OK or MX_ERR_MEMORY */
void mxi_handles_remove(const void *p);
bool mxi_handles_contains(const void *p);

#endif
