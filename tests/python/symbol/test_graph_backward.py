"""Backward through a hybridized graph: one tape node per graph run
(core/graph_backward.c) instead of one per op."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.base import MXNetError
from mxcore.gluon import nn

R = np.random.RandomState(7)


def _mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(6, activation="relu", in_units=5), nn.Dense(3, in_units=6))
    net.initialize(mx.init.Xavier())
    return net


def _grads(net):
    return {k: p.grad().asnumpy().copy() for k, p in net.collect_params().items() if p.grad_req != "null"}


def test_retain_graph_runs_backward_twice_and_frees_otherwise():
    net = _mlp()
    net.hybridize()
    x = nd.array(R.randn(4, 5).astype("float32"))
    with autograd.record():
        y = net(x)
    y.backward(retain_graph=True)
    first = _grads(net)
    y.backward()  # graph kept by retain_graph: same gradients again (grad_req write)
    for k, v in _grads(net).items():
        np.testing.assert_allclose(v, first[k], rtol=1e-6)
    with pytest.raises(MXNetError, match="not part of a recorded graph"):  # as for eager ops
        y.backward()


def test_gradients_match_finite_differences():
    net = _mlp()
    net.hybridize()
    x = nd.array(R.randn(3, 5), dtype="float64")
    net.cast("float64")
    x.attach_grad()
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    w = net[0].weight
    g = w.grad().asnumpy()
    base = w.data().asnumpy().copy()
    eps = 1e-6
    for idx in [(0, 0), (2, 3), (5, 4)]:
        for sign in (1, -1):
            pert = base.copy()
            pert[idx] += sign * eps
            w.set_data(nd.array(pert, dtype="float64"))
            v = (net(x) ** 2).sum().asscalar()
            if sign == 1:
                up = v
            else:
                down = v
        w.set_data(nd.array(base, dtype="float64"))
        np.testing.assert_allclose(g[idx], (up - down) / (2 * eps), rtol=1e-5, atol=1e-7)
    # the data gradient flows out of the graph node too
    assert np.abs(x.grad.asnumpy()).sum() > 0


def test_repeated_and_variable_heads():
    data = mx.sym.var("data")
    w = mx.sym.var("w")
    y = mx.sym.FullyConnected(data, w, num_hidden=2, no_bias=True, name="fc")
    blk = gluon.SymbolBlock(mx.sym.Group([y, y, data]), [data])
    blk.initialize()
    blk.hybridize()
    xv = R.randn(3, 4).astype("float32")
    x = nd.array(xv)
    x.attach_grad()
    with autograd.record():
        a, b, c = blk(x)
        loss = a.sum() + 2 * b.sum() + 3 * c.sum()
    loss.backward()
    wv = blk.collect_params()["w"].data().asnumpy()
    np.testing.assert_allclose(blk.collect_params()["w"].grad().asnumpy(), 3 * np.ones((3, 2)).T @ xv, rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), 3 * np.ones((3, 2)) @ wv + 3, rtol=1e-5)


class _Smooth(gluon.HybridBlock):
    """tanh(x*w + b) * exp(0.1*x*w): ops whose gradients are differentiable again."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get("w", shape=(5,))
            self.b = self.params.get("b", shape=(5,))

    def hybrid_forward(self, F, x, w, b):
        xw = F.broadcast_mul(x, w)
        return F.tanh(F.broadcast_add(xw, b)) * F.exp(xw * 0.1)


def _gradient_penalty(net, x):
    """WGAN-GP style: d/dparams of |d out / d x|^2 (a second-order gradient)."""
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = net(x)
        (gx,) = autograd.grad(y.sum(), [x], create_graph=True, retain_graph=True)
        pen = (gx ** 2).sum()
    pen.backward()
    return gx.asnumpy(), _grads(net)


def test_create_graph_through_a_hybridized_graph_matches_eager():
    """Higher-order gradients through the whole-graph tape node: the forward
    is recomputed op by op from the arguments and the reverse pass recorded,
    so a gradient penalty gives the eager parameter gradients."""
    x = nd.array(R.randn(4, 5).astype("float32"))
    net = _Smooth()
    net.initialize(mx.init.Uniform(0.7))
    ge, pe = _gradient_penalty(net, x)
    net.hybridize()
    gh, ph = _gradient_penalty(net, x)
    assert net._last_cached is not None
    np.testing.assert_allclose(gh, ge, rtol=1e-5, atol=1e-6)
    for k in pe:
        assert np.abs(pe[k]).sum() > 0, k  # the penalty reaches every parameter
        np.testing.assert_allclose(ph[k], pe[k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_create_graph_replays_dropout_masks():
    """The recomputed forward draws the recorded random streams: with
    Dropout in training mode the first-order gradient built with
    create_graph equals the one without."""
    net = nn.HybridSequential()
    net.add(_Smooth(), nn.Dropout(0.5))
    net.initialize(mx.init.Uniform(0.7))
    net.hybridize()
    x = nd.array(R.randn(6, 5).astype("float32"))
    x.attach_grad()
    with autograd.record(train_mode=True):
        y = net(x)
        total = y.sum()
        (g1,) = autograd.grad(total, [x], create_graph=True, retain_graph=True)
    (g0,) = autograd.grad(total, [x], retain_graph=True)
    np.testing.assert_allclose(g1.asnumpy(), g0.asnumpy(), rtol=1e-6, atol=1e-7)
    assert (y.asnumpy() == 0).any()  # dropout did drop


def test_outputs_outlive_the_graph():
    net = _mlp()
    net.hybridize()
    x = nd.array(R.randn(2, 5).astype("float32"))
    with autograd.record():
        y = net(x)
    net.hybridize(False)  # drops the cached graph; the tape node keeps its own reference
    net.hybridize()
    net(x)
    y.backward()
    assert np.abs(net[0].weight.grad().asnumpy()).sum() > 0


_TRAIN_SCRIPT = textwrap.dedent("""
    import numpy as np, mxcore as mx
    from mxcore import autograd, gluon, nd
    from mxcore.gluon import nn
    mx.random.seed(3)
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Activation("relu"), nn.Dropout(0.3), nn.MaxPool2D(2),
            nn.Dense(5))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    lf = gluon.loss.SoftmaxCrossEntropyLoss()
    rs = np.random.RandomState(0)
    for _ in range(3):
        x = nd.array(rs.randn(4, 2, 8, 8).astype("float32"))
        y = nd.array(rs.randint(0, 5, 4).astype("float32"))
        with autograd.record():
            loss = lf(net(x), y)
        loss.backward()
        tr.step(4)
    np.save(OUT, np.concatenate([p.data().asnumpy().ravel() for p in net.collect_params().values()]))
""")


def test_whole_graph_tape_matches_per_op_tape(tmp_path):
    """Training with BatchNorm and Dropout (train mode: random masks, running
    stats) gives the same parameters with either tape."""
    res = {}
    for flag in ("1", "0"):
        out = str(tmp_path / ("p%s.npy" % flag))
        env = dict(os.environ, MXCORE_GRAPH_BACKWARD=flag)
        subprocess.run([sys.executable, "-c", "OUT=%r\n" % out + _TRAIN_SCRIPT], env=env, check=True)
        res[flag] = np.load(out)
    np.testing.assert_allclose(res["1"], res["0"], rtol=1e-5, atol=1e-6)


def test_non_differentiable_ops_stop_the_gradient_in_graphs_as_on_the_tape():
    """zeros_like / ones_like / comparisons inside a hybridized block: their outputs are
    constants for the backward pass (the eager tape never records them)."""
    class B(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x * 2 + F.zeros_like(x) + F.ones_like(x) * x + (x > 0.5) * x

    grads = []
    for hybrid in (False, True):
        b = B()
        if hybrid:
            b.hybridize()
        x = mx.nd.array([0.2, 0.7])
        x.attach_grad()
        with mx.autograd.record():
            y = b(x)
        y.backward()
        grads.append(x.grad.asnumpy())
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])
    np.testing.assert_array_equal(grads[1], grads[0])
