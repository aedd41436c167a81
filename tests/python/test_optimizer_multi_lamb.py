"""mx.optimizer.LAMB on lists of weights (Updater hands over up to aggregate_num; one
multi_[mp_]lamb_update per chunk) and mx.optimizer.contrib.GroupAdaGrad (one fused
group_adagrad_update) against MXNet 1.9.1: the expected values were printed by MXNet 1.9.1
running this same script (three updater steps on the weights and gradients of _data())."""
import numpy as np
import pytest

import mxcore as mx

# first four entries of each of the three weights after three steps
LAMB_WANT = {
    "plain": [[0.1274486, -0.1223593, 1.085136, -1.080152], [1.72145, -0.8520914, 0.5583686, -0.5004132],
              [0.09268389, -1.339835, -0.007296769, -1.10727]],
    "bounded_nobc": [[0.06219003, -0.1182206, 1.070482, -1.145516], [1.723037, -0.8515036, 0.5604635, -0.4998686],
                     [0.09294921, -1.341354, -0.006985238, -1.108733]],
    "float16_mp": [[0.1274414, -0.1223755, 1.084961, -1.080078], [1.72168, -0.8525391, 0.5581055, -0.5004883],
                   [0.09277344, -1.339844, -0.007270813, -1.106445]],
}
GROUP_ADAGRAD_WANT = [0.1065964, -0.130853, 1.021221, -1.064143, 0.7435413, -1.814259, -0.43824, -0.01883300,
                      1.072483, -0.1043111, -0.6877293, 1.408557]


def _data():
    rs = np.random.RandomState(21)
    shapes = [(3, 4), (5,), (2, 2)]
    w0 = [rs.randn(*s).astype("float32") for s in shapes]
    return w0, [[rs.randn(*s).astype("float32") for s in shapes] for _ in range(3)]


@pytest.mark.parametrize("case,dtype,mp,kw", [
    ("plain", "float32", False, {}),
    ("bounded_nobc", "float32", False, dict(lower_bound=1.0, upper_bound=2.0, bias_correction=False)),
    ("float16_mp", "float16", True, {}),
])
def test_lamb_lists_match_mxnet(case, dtype, mp, kw):
    w0, grads = _data()
    opt = mx.optimizer.LAMB(learning_rate=0.05, wd=0.01, rescale_grad=0.5, clip_gradient=0.8, multi_precision=mp, **kw)
    assert opt.aggregate_num == 45
    up = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(x, dtype=dtype) for x in w0]
    for step in grads:
        up(list(range(3)), [mx.nd.array(x, dtype=dtype) for x in step], weights)
    for got, want in zip(weights, LAMB_WANT[case]):
        assert got.dtype == np.dtype(dtype)
        # float16: equal to the 7 printed digits (the float16 spacing here is >= 6e-5)
        np.testing.assert_allclose(got.asnumpy().ravel()[:4].astype(np.float64), want, rtol=0, atol=2e-6)


def test_lamb_lists_longer_than_one_op_call():
    """20 weights: the list form splits them over several multi_lamb_update calls and gives
    the single-weight (two-phase) result."""
    rs = np.random.RandomState(4)
    w0 = [rs.randn(3).astype("float32") for _ in range(20)]
    grads = [rs.randn(3).astype("float32") for _ in range(20)]
    results = []
    for agg in ("45", "1"):
        mp = pytest.MonkeyPatch()
        mp.setenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", agg)
        opt = mx.optimizer.LAMB(learning_rate=0.1, wd=0.01)
        mp.undo()
        up = mx.optimizer.get_updater(opt)
        weights = [mx.nd.array(x) for x in w0]
        for _ in range(2):
            up(list(range(20)), [mx.nd.array(x) for x in grads], weights)
        results.append([x.asnumpy() for x in weights])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_group_adagrad_dense_matches_mxnet():
    w0, grads = _data()
    opt = mx.optimizer.create("groupadagrad", learning_rate=0.1, rescale_grad=0.5, clip_gradient=0.6)
    up = mx.optimizer.get_updater(opt)
    weight = mx.nd.array(w0[0])
    for step in grads:
        up(0, mx.nd.array(step[0]), weight)
    np.testing.assert_allclose(weight.asnumpy().ravel(), GROUP_ADAGRAD_WANT, rtol=0, atol=1e-6)
    assert up.states[0].shape == (3, 1)
