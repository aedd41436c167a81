/* upsampling.c — UpSampling and BilinearResize2D (part of the "conv" family,
 * registered from mxi_register_conv() in conv.c). */
#include "conv_common.h"

void mxi_register_upsampling(void);
void mxi_register_upsampling(void) {}
