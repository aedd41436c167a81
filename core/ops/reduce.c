/* reduce.c — op family "reduce" (not yet implemented). */
#include "../op.h"

void mxi_register_reduce(void) {}
