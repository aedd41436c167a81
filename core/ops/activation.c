/* activation.c — op family "activation" (not yet implemented). */
#include "../op.h"

void mxi_register_activation(void) {}
