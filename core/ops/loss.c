/* loss.c — op family "loss" (not yet implemented). */
#include "../op.h"

void mxi_register_loss(void) {}
