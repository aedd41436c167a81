/* indexing.c — op family "indexing" (not yet implemented). */
#include "../op.h"

void mxi_register_indexing(void) {}
