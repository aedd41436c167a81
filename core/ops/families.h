/* families.h — one registration function per op family (core/ops/<family>.c).
 * registry.c calls them all once, in this order, at first use. */
#ifndef MXCORE_CORE_OPS_FAMILIES_H
#define MXCORE_CORE_OPS_FAMILIES_H

#define MXI_OP_FAMILIES(X) \
    X(elemwise_unary)      \
    X(elemwise_binary)     \
    X(activation)          \
    X(reduce)              \
    X(shape)               \
    X(indexing)            \
    X(index_utils)         \
    X(creation)            \
    X(random)              \
    X(linalg)              \
    X(linalg_lapack)       \
    X(nn_basic)            \
    X(conv)                \
    X(norm)                \
    X(rnn)                 \
    X(optimizer)           \
    X(loss)                \
    X(control_flow)        \
    X(custom)              \
    X(sparse)

#define MXI_DECLARE_FAMILY(f) void mxi_register_##f(void);
MXI_OP_FAMILIES(MXI_DECLARE_FAMILY)
#undef MXI_DECLARE_FAMILY

#endif
