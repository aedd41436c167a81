/* norm.c — op family "norm" (not yet implemented). */
#include "../op.h"

void mxi_register_norm(void) {}
