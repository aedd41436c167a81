"""Checks over whole models and optimizers: a HybridBlock hybridized vs imperative, and
two optimizers stepping the same weights."""
from __future__ import annotations

from .compare import assert_almost_equal, compare_ndarray_tuple
from .tolerances import default_context


def _saved_params_init(values: dict):
    """An Initializer that gives each parameter the numpy value saved under its name."""
    from ..initializer import Initializer

    class _SavedParams(Initializer):
        def __call__(self, desc, arr):
            arr[:] = values[str(desc)]

    return _SavedParams()


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True, rtol=1e-4, atol=1e-4):
    """Build the block ``net_builder(prefix='net_')`` four times (imperative/hybridized,
    with/without autograd), all with the parameters of the first build, and check the
    outputs -- and input gradients of ``out.backward(out)`` -- agree; optionally also
    against ``numpy_func`` on the numpy inputs. The block must not draw random numbers."""
    from .. import autograd
    out_ref = grads_ref = init = None
    for hybridize in (False, True):
        for with_grad in ((False, True) if test_grad else (False,)):
            net = net_builder(prefix="net_")
            net.initialize() if init is None else net.initialize(init)
            if hybridize:
                net.hybridize()
            inputs = [x.copy() for x in data_l]
            if with_grad:
                for x in inputs:
                    x.attach_grad()
                with autograd.record():
                    out = net(*inputs)
                out.backward(out)
            else:
                out = net(*inputs)
            if init is None:
                init = _saved_params_init({k: v.data().asnumpy() for k, v in net.collect_params().items()})
            if out_ref is None:
                out_ref = out.asnumpy()
            else:
                assert_almost_equal(out.asnumpy(), out_ref, rtol=rtol, atol=atol)
            if with_grad:
                grads = [x.grad.asnumpy() for x in inputs]
                if grads_ref is None:
                    grads_ref = grads
                else:
                    for got, want in zip(grads, grads_ref):
                        assert_almost_equal(got, want, rtol=rtol, atol=atol)
    if numpy_func is not None:
        assert_almost_equal(out_ref, numpy_func(*[x.asnumpy() for x in data_l]), rtol=rtol, atol=atol)


def _uniform_pair(shape, dtype):
    from .. import random
    a = random.uniform(shape=shape, ctx=default_context(), dtype=dtype)
    return a, a.copyto(default_context())


def compare_optimizer(opt1, opt2, shape, dtype, w_stype="default", g_stype="default", rtol=1e-4, atol=1e-5,
                      compare_states=True, ntensors=1):
    """Step ``opt1`` and ``opt2`` once from the same random weights and gradients and
    check weights (and states, if ``compare_states``) agree. ``shape`` a list: ``opt2``
    updates the ``ntensors`` tensors in one multi-tensor call, ``opt1`` one by one."""
    if w_stype != "default":
        raise NotImplementedError("compare_optimizer: mxcore keeps weights dense; w_stype must be 'default' "
                                  "(row_sparse gradients are supported: g_stype='row_sparse')")
    if g_stype not in ("default", "row_sparse"):
        raise NotImplementedError(f"compare_optimizer: g_stype {g_stype!r} (default or row_sparse)")
    if not isinstance(shape, list):
        assert ntensors == 1
        w2, w1 = _uniform_pair(shape, dtype)
        g2, g1 = _uniform_pair(shape, dtype)
        if g_stype == "row_sparse":  # about half the rows, the same in both
            from .random_data import rand_sparse_ndarray
            g1 = rand_sparse_ndarray(shape, "row_sparse", density=0.5, dtype=dtype)[0]
            g2 = g1.copy()
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1, w2, rtol=rtol, atol=atol)
        return
    pairs_w = [_uniform_pair(s, dtype) for s in shape]
    pairs_g = [_uniform_pair(s, dtype) for s in shape]
    w1, w2 = tuple(p[0] for p in pairs_w), tuple(p[1] for p in pairs_w)
    g1, g2 = tuple(p[0] for p in pairs_g), tuple(p[1] for p in pairs_g)
    state2 = [opt2.create_state_multi_precision(0, w2[i]) for i in range(ntensors)]
    opt2.update_multi_precision(list(range(ntensors)), w2, g2, state2)
    for i in range(ntensors):
        state1 = opt1.create_state_multi_precision(i, w1[i])
        opt1.update_multi_precision(i, w1[i], g1[i], state1)
        if compare_states:
            compare_ndarray_tuple(state1, state2[i], rtol, atol)
        compare_ndarray_tuple(w1[i], w2[i], rtol, atol)

