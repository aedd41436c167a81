/* elemwise_unary.c — op family "elemwise_unary" (not yet implemented). */
#include "../op.h"

void mxi_register_elemwise_unary(void) {}
