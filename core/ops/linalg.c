/* linalg.c — op family "linalg" (not yet implemented). */
#include "../op.h"

void mxi_register_linalg(void) {}
