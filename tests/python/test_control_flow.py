"""contrib.foreach / while_loop / cond: eager values (checked against MXNet 1.9.1 on the
same inputs), gradients through them, and hybridized == eager."""
import mxcore as mx
import numpy as np
import pytest
from mxcore import autograd, nd


def test_eager_values_match_mxnet():
    lv = (nd.array([0], dtype="int64"), nd.array([1], dtype="int64"))
    out, st = nd.contrib.while_loop(lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]), lv,
                                    max_iterations=10)
    assert isinstance(out, list) and out[0].shape == (10, 1)
    assert out[0].asnumpy().ravel().tolist() == [1, 2, 4, 7, 11, 16, 0, 0, 0, 0]
    assert [x.asnumpy().tolist() for x in st] == [[6], [16]]
    out, st = nd.contrib.while_loop(lambda i: i < 0, lambda i: (i + 1, i + 1), nd.array([0]), max_iterations=3)
    assert out == [] and st.asnumpy().tolist() == [0]
    outs, st = nd.contrib.foreach(lambda d, s: (d + s[0], [s[0] * 2]), nd.arange(6).reshape((3, 2)), [nd.ones(2)])
    assert outs.asnumpy().tolist() == [[1, 2], [4, 5], [8, 9]] and st[0].asnumpy().tolist() == [8, 8]
    outs, st = nd.contrib.foreach(lambda d, s: ([d[0] + d[1]], s + 1), [nd.ones((3, 2)), nd.ones((3, 2))],
                                  nd.zeros(2))
    assert isinstance(outs, list) and outs[0].shape == (3, 2) and st.asnumpy().tolist() == [3, 3]
    a, b = nd.array([1]), nd.array([2])
    assert nd.contrib.cond(a * b < 5, lambda: (a + 5) * (b + 5), lambda: (a - 5) * (b - 5)).asscalar() == 42


class _Scan(mx.gluon.HybridBlock):
    """A cumulative product-sum scan with a branch on the initial state."""

    def hybrid_forward(self, F, x, h):
        outs, st = F.contrib.foreach(lambda d, s: (d * s[0], [s[0] + d]), x, [h])
        return F.contrib.cond(F.sum(h) > 0, lambda: outs * 2, lambda: outs * 3), st[0]


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_hybridized_foreach_and_cond_equal_eager_with_gradients(sign):
    rs = np.random.RandomState(0)
    xv, hv = rs.randn(4, 3), sign * (rs.rand(3) + 0.5)
    res = []
    for hybrid in (False, True):
        blk = _Scan()
        if hybrid:
            blk.hybridize()
        x, h = nd.array(xv), nd.array(hv)
        x.attach_grad()
        h.attach_grad()
        with autograd.record():
            y, s = blk(x, h)
            loss = (y * y).sum() + s.sum()
        loss.backward()
        res.append([y.asnumpy(), s.asnumpy(), x.grad.asnumpy(), h.grad.asnumpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the forward against numpy
    k = 2 if sign > 0 else 3
    state, ys = hv.copy(), []
    for row in xv:
        ys.append(row * state)
        state = state + row
    np.testing.assert_allclose(res[0][0], k * np.array(ys), rtol=1e-5)
    np.testing.assert_allclose(res[0][1], state, rtol=1e-5)


def test_limits_raise_clear_errors():
    with pytest.raises(mx.MXNetError, match="max_iterations is required"):
        nd.contrib.while_loop(lambda i: i < 1, lambda i: (i, i + 1), nd.zeros(1))
    with pytest.raises(mx.MXNetError, match="max_iterations is required"):
        mx.sym.contrib.while_loop(lambda i: i < 1, lambda i: (i, i + 1), mx.sym.var("i"))
    with pytest.raises(mx.MXNetError, match="does not use its data 0"):
        mx.sym.contrib.foreach(lambda d, s: (s[0] * 2, s), mx.sym.var("x"), [mx.sym.var("h")])
