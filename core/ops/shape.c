/* shape.c — op family "shape" (not yet implemented). */
#include "../op.h"

void mxi_register_shape(void) {}
