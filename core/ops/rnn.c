/* rnn.c — op family "rnn" (not yet implemented). */
#include "../op.h"

void mxi_register_rnn(void) {}
