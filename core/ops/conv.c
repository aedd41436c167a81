/* conv.c — op family "conv" (not yet implemented). */
#include "../op.h"

void mxi_register_conv(void) {}
