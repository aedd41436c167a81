/* nn_basic.c — op family "nn_basic" (not yet implemented). */
#include "../op.h"

void mxi_register_nn_basic(void) {}
