/* handles.h — where tensor handles live. Tensor structs come from one
 * reserved virtual region, so checking a handle is a range + alignment test
 * followed by a read of its tag: NULL, released and foreign pointers are
 * reported instead of dereferenced (the region is never unmapped, so a
 * released handle is always readable). Freed structs are recycled
 * first-in-first-out after a quarantine of QUARANTINE frees, so a stale
 * handle is unlikely to alias a new tensor. No lock on the check path. */
#ifndef MXCORE_CORE_HANDLES_H
#define MXCORE_CORE_HANDLES_H

#include <stdbool.h>
#include <stddef.h>

/* Every pooled struct occupies one slot of this many bytes (a power of two,
 * so the handle check is a mask, not a division); the last pointer-sized word
 * of a slot is the pool's link. */
#define MXI_HANDLE_SLOT 256

/* A zeroed slot from the pool; NULL when the pool is exhausted. */
void *mxi_handle_alloc(void);
/* Return a struct to the pool (its tag must already say "dead"). */
void mxi_handle_free(void *p);
/* True if p points at the start of a struct the pool handed out. */
bool mxi_handle_in_pool(const void *p);

#endif
