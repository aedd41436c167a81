/* random.c — op family "random" (not yet implemented). */
#include "../op.h"

void mxi_register_random(void) {}
