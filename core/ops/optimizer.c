/* optimizer.c — op family "optimizer" (not yet implemented). */
#include "../op.h"

void mxi_register_optimizer(void) {}
