"""Control-flow nodes in core graphs (_foreach, _while_loop, _cond; see
core/graph_control_flow.c): mx.sym programs with sym.contrib.foreach /
while_loop / cond, MXNet 1.9.1's JSON for them, hybridized blocks using
F.contrib.while_loop / cond (eager == hybridized, values and gradients),
exports MXNet reads back, and bad graphs. Expected values were printed by
MXNet 1.9.1 on the same programs."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, nd

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")


def _rnn_inputs():
    rs = np.random.RandomState(0)
    return rs.randn(5, 2, 3).astype("f"), rs.randn(2, 4).astype("f"), rs.randn(4, 3).astype("f")


def _run_rnn(sym):
    X, H, W = _rnn_inputs()
    ex = sym.bind(mx.cpu(), {"data": nd.array(X), "h0": nd.array(H), "w": nd.array(W)},
                  args_grad={"data": nd.zeros((5, 2, 3)), "h0": nd.zeros((2, 4)), "w": nd.zeros((4, 3))})
    out = ex.forward(is_train=True)
    ex.backward([nd.ones((5, 2, 4)), nd.ones((2, 4))])
    h, ref = H, []
    for i in range(5):
        h = np.tanh(X[i] @ W.T + h)
        ref.append(h * 2)
    np.testing.assert_allclose(out[0].asnumpy(), np.stack(ref), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1].asnumpy(), h, rtol=1e-5, atol=1e-6)
    # MXNet 1.9.1's gradients of the same program
    np.testing.assert_allclose(ex.grad_dict["w"].asnumpy()[0], [11.327084, 1.1649446, -2.6500611], rtol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["h0"].asnumpy()[0], [0.36420906, 1.0560045, 0.01749803, 1.1006532],
                               rtol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy()[2, 1], [-0.595994, -0.755376, -1.5645022], rtol=1e-5)


def _rnn_sym():
    data, h0, w = mx.sym.var("data"), mx.sym.var("h0"), mx.sym.var("w")

    def body(x, states):
        nh = mx.sym.tanh(mx.sym.FullyConnected(x, w, num_hidden=4, no_bias=True) + states[0])
        return nh * 2, [nh]
    with mx.name.NameManager():
        out, st = mx.sym.contrib.foreach(body, data, [h0])
    return mx.sym.Group([out, st[0]])


def test_sym_foreach_runs_as_in_mxnet():
    g = _rnn_sym()
    assert g.list_arguments() == ["data", "h0", "w"]
    assert g.list_outputs() == ["_foreach0_output0", "_foreach0_output1"]
    # the body's FullyConnected sizes the loop-invariant weight, as MXNet infers it
    assert g.infer_shape(data=(5, 2, 3), h0=(2, 4)) == ([(5, 2, 3), (2, 4), (4, 3)], [(5, 2, 4), (2, 4)], [])
    node = [n for n in json.loads(g.tojson())["nodes"] if n["op"] == "_foreach"][0]
    assert node["attrs"]["in_data_locs"] == "[0]" and node["attrs"]["in_state_locs"] == "[2]"
    assert node["attrs"]["remain_locs"] == "[1]" and node["attrs"]["num_args"] == "4"
    _run_rnn(g)
    _run_rnn(mx.sym.load_json(g.tojson()))  # JSON round trip


def test_mxnet_written_foreach_json_runs():
    g = mx.sym.load(os.path.join(REF, "foreach_rnn-symbol.json"))  # MXNet 1.9.1 wrote it from the same program
    _run_rnn(g)


def _while_sym():
    i, s, w = mx.sym.var("i"), mx.sym.var("s"), mx.sym.var("w")
    out, vars_ = mx.sym.contrib.while_loop(cond=lambda i, s: i < 5, func=lambda i, s: (s * w, [i + 1, s + w]),
                                           loop_vars=[i, s], max_iterations=7)
    return mx.sym.Group([out, vars_[0], vars_[1]])


def test_sym_while_loop_and_cond_match_mxnet():
    ex = _while_sym().bind(mx.cpu(), {"i": nd.array([0]), "s": nd.array([1, 2]), "w": nd.array([0.5, 1])},
                           args_grad={"i": nd.zeros(1), "s": nd.zeros(2), "w": nd.zeros(2)})
    o = ex.forward(is_train=True)
    np.testing.assert_allclose(o[0].asnumpy(), [[0.5, 2], [0.75, 3], [1, 4], [1.25, 5], [1.5, 6], [0, 0], [0, 0]])
    assert o[1].asnumpy().tolist() == [5] and o[2].asnumpy().tolist() == [3.5, 7]
    ex.backward([nd.ones((7, 2)), nd.ones(1), nd.ones(2)])
    assert ex.grad_dict["s"].asnumpy().tolist() == [3.5, 6] and ex.grad_dict["w"].asnumpy().tolist() == [20, 35]
    # no step runs: zero outputs of the inferred shape, the loop variables pass through
    ex = _while_sym().bind(mx.cpu(), {"i": nd.array([9]), "s": nd.array([1, 2]), "w": nd.array([0.5, 1])},
                           args_grad={"i": nd.zeros(1), "s": nd.zeros(2), "w": nd.zeros(2)})
    o = ex.forward(is_train=True)
    assert o[0].shape == (7, 2) and not o[0].asnumpy().any() and o[2].asnumpy().tolist() == [1, 2]
    ex.backward([nd.ones((7, 2)), nd.ones(1), nd.array([3.0, 4])])
    assert ex.grad_dict["s"].asnumpy().tolist() == [3, 4] and not ex.grad_dict["w"].asnumpy().any()
    p, a, b = mx.sym.var("p"), mx.sym.var("a"), mx.sym.var("b")
    c = mx.sym.contrib.cond(p > 0, lambda: a * 2 + b, lambda: a - b)
    assert c.list_arguments() == ["p", "a", "b"]
    for pv, out, da, db in [(1.0, [5, 9], [2, 20], [1, 10]), (-1.0, [-2, -3], [1, 10], [-1, -10])]:
        ex = c.bind(mx.cpu(), {"p": nd.array([pv]), "a": nd.array([1.0, 2]), "b": nd.array([3.0, 5])},
                    args_grad={"p": nd.zeros(1), "a": nd.zeros(2), "b": nd.zeros(2)})
        assert ex.forward(is_train=True)[0].asnumpy().tolist() == out
        ex.backward([nd.array([1.0, 10])])
        assert ex.grad_dict["a"].asnumpy().tolist() == da and ex.grad_dict["b"].asnumpy().tolist() == db


def test_nested_foreach():
    x, h = mx.sym.var("x"), mx.sym.var("h")

    def outer(row, st):  # row (3, 2): an inner scan over it
        inner, ist = mx.sym.contrib.foreach(lambda d, s: (d * s[0], [s[0] + d]), row, [st[0]])
        return inner, ist
    out, st = mx.sym.contrib.foreach(outer, x, [h])
    xv, hv = np.random.RandomState(3).randn(4, 3, 2), np.random.RandomState(4).randn(2)
    ex = mx.sym.Group([out, st[0]]).bind(mx.cpu(), {"x": nd.array(xv), "h": nd.array(hv)},
                                         args_grad={"x": nd.zeros((4, 3, 2)), "h": nd.zeros(2)})
    o = ex.forward(is_train=True)
    s, ref = hv.copy(), np.zeros((4, 3, 2))
    for i in range(4):
        for j in range(3):
            ref[i, j] = xv[i, j] * s
            s = s + xv[i, j]
    np.testing.assert_allclose(o[0].asnumpy(), ref, rtol=1e-5)
    np.testing.assert_allclose(o[1].asnumpy(), s, rtol=1e-5)
    ex.backward([nd.ones((4, 3, 2)), nd.zeros(2)])
    # d/dh of sum(x[i,j] * s_ij) = sum of all x
    np.testing.assert_allclose(ex.grad_dict["h"].asnumpy(), xv.reshape(-1, 2).sum(0), rtol=1e-5)


class _Loop(mx.gluon.HybridBlock):
    """A value-dependent loop (n steps of a Dense) and a branch on its result."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = mx.gluon.nn.Dense(3, in_units=3)

    def hybrid_forward(self, F, x, n):
        outs, (_, h) = F.contrib.while_loop(
            lambda i, h: i < n, lambda i, h: (self.dense(h), [i + 1, F.tanh(self.dense(h))]),
            [F.zeros_like(n), x], max_iterations=6)
        return outs, F.contrib.cond(F.sum(h) > 0, lambda: h * 2, lambda: h - 1)


def _loop_run(hybrid, steps, path=None):
    mx.random.seed(0)
    blk = _Loop(prefix="loop_")
    blk.initialize(mx.init.Xavier())
    if hybrid:
        blk.hybridize()
    x = nd.array(np.random.RandomState(0).randn(2, 3))
    x.attach_grad()
    with autograd.record():
        o, y = blk(x, nd.array([steps]))
        (o.sum() * 0.5 + (y * y).sum()).backward()
    if path:
        blk.export(path)
    return [o.asnumpy(), y.asnumpy(), x.grad.asnumpy(), blk.dense.weight.grad().asnumpy()]


@pytest.mark.parametrize("steps", [1, 2, 4, 6])
def test_hybridized_while_loop_and_cond_equal_eager(steps):
    eager, hybrid = _loop_run(False, steps), _loop_run(True, steps)
    for a, b in zip(eager, hybrid):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert eager[0].shape == (6, 2, 3)
    assert not eager[0][steps:].any()  # rows of steps that did not run are zeros


def test_exported_while_loop_block_imports(tmp_path):
    path = str(tmp_path / "loop")
    ref = _loop_run(True, 4, path)
    net = mx.gluon.SymbolBlock.imports(path + "-symbol.json", ["data0", "data1"], path + "-0000.params")
    o, y = net(nd.array(np.random.RandomState(0).randn(2, 3)), nd.array([4]))
    np.testing.assert_allclose(o.asnumpy(), ref[0], rtol=1e-6)
    np.testing.assert_allclose(y.asnumpy(), ref[1], rtol=1e-6)
    ops = [n["op"] for n in json.load(open(path + "-symbol.json"))["nodes"]]
    assert "_while_loop" in ops and "_cond" in ops


def test_mxnet_exported_foreach_gru_block():
    """A Gluon block MXNet 1.9.1 hybridized and exported: a GRUCell scanned with
    F.contrib.foreach, a Dense, and F.contrib.cond on the final state."""
    net = mx.gluon.SymbolBlock.imports(os.path.join(REF, "foreach_gru-symbol.json"), ["data0", "data1"],
                                       os.path.join(REF, "foreach_gru-0000.params"))
    io = nd.load(os.path.join(REF, "foreach_gru-io.params"))
    z, s = net(io["x"], io["h"])
    np.testing.assert_allclose(z.asnumpy(), io["z"].asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s.asnumpy(), io["s"].asnumpy(), rtol=1e-5, atol=1e-6)
    # gradients through the loop against finite differences (MXNet 1.9.1's own
    # gradients of this file are garbage: ~1e20)
    x = io["x"].copy()
    x.attach_grad()
    with autograd.record():
        z, s = net(x, io["h"])
        loss = z.sum() + s.sum()
    loss.backward()
    xv, eps = io["x"].asnumpy().astype(np.float64), 1e-3
    for idx in [(0, 0, 0), (2, 1, 3), (4, 0, 2)]:
        hi, lo = xv.copy(), xv.copy()
        hi[idx] += eps
        lo[idx] -= eps
        f = [float(sum(o.sum().asscalar() for o in net(nd.array(v), io["h"]))) for v in (hi, lo)]
        np.testing.assert_allclose(x.grad.asnumpy()[idx], (f[0] - f[1]) / (2 * eps), rtol=2e-2, atol=1e-3)


def test_eager_tape_path(tmp_path):
    """With MXCORE_GRAPH_BACKWARD=0 a graph's ops are recorded one by one: the
    loop's steps are then ordinary graph runs on the eager tape."""
    code = ("import sys; sys.path.insert(0, %r); import test_control_flow_graph as t; "
            "t._run_rnn(t._rnn_sym()); print('ok')" % os.path.dirname(__file__))
    env = dict(os.environ, MXCORE_GRAPH_BACKWARD="0")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


def test_bad_control_flow_graphs_raise_naming_the_node():
    g = json.loads(_rnn_sym().tojson())
    node = [n for n in g["nodes"] if n["op"] == "_foreach"][0]
    bad = json.loads(json.dumps(g))
    [n for n in bad["nodes"] if n["op"] == "_foreach"][0].pop("subgraphs")
    with pytest.raises(mx.MXNetError, match=r"_foreach\d+.*subgraphs"):
        mx.sym.load_json(json.dumps(bad))
    bad = json.loads(json.dumps(g))
    [n for n in bad["nodes"] if n["op"] == "_foreach"][0]["attrs"]["in_data_locs"] = "[7]"
    with pytest.raises(mx.MXNetError, match=r"_foreach\d+.*in_data_locs"):
        mx.sym.load_json(json.dumps(bad))
    bad = json.loads(json.dumps(g))
    [n for n in bad["nodes"] if n["op"] == "_foreach"][0]["subgraphs"][0]["nodes"][2]["op"] = "NoSuchOp"
    with pytest.raises(mx.MXNetError, match="NoSuchOp"):
        mx.sym.load_json(json.dumps(bad))
    assert node["name"].startswith("_foreach")
    # a predicate of two elements
    p, a = mx.sym.var("p"), mx.sym.var("a")
    c = mx.sym.contrib.cond(p, lambda: a * 2, lambda: a)
    ex = c.bind(mx.cpu(), {"p": nd.array([1, 0]), "a": nd.array([1.0])})
    with pytest.raises(mx.MXNetError, match="_cond.*one element"):
        ex.forward()
    # data of different lengths
    x, y = mx.sym.var("x"), mx.sym.var("y")
    out, _ = mx.sym.contrib.foreach(lambda d, s: (d[0] + d[1], s), [x, y], [mx.sym.var("h")])
    ex = out.bind(mx.cpu(), {"x": nd.ones((3, 2)), "y": nd.ones((4, 2)), "h": nd.ones(2)})
    with pytest.raises(mx.MXNetError, match="same length"):
        ex.forward()


class _GRUScan(mx.gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.cell = mx.gluon.rnn.GRUCell(6, input_size=4)

    def hybrid_forward(self, F, x, h):
        outs, st = F.contrib.foreach(lambda d, s: self.cell(d, s), x, [h])
        return outs, st[0]


def test_hybridized_foreach_is_one_node_and_exports_any_length(tmp_path):
    """A hybridized block's foreach is a _foreach node (as MXNet traces it), so
    its export runs on sequences of another length."""
    x = nd.array(np.random.RandomState(5).randn(5, 2, 4))
    h = nd.zeros((2, 6))
    eager = _GRUScan(prefix="scan_")
    eager.initialize(mx.init.Xavier())
    ref = eager(x, h)
    eager.save_parameters(str(tmp_path / "scan.params"))
    blk = _GRUScan(prefix="scan_")
    blk.load_parameters(str(tmp_path / "scan.params"))
    blk.hybridize()
    out = blk(x, h)
    for a, b in zip(ref, out):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "scan")
    blk.export(path)
    ops = [n["op"] for n in json.load(open(path + "-symbol.json"))["nodes"] if n["op"] != "null"]
    assert ops == ["_foreach"]
    net = mx.gluon.SymbolBlock.imports(path + "-symbol.json", ["data0", "data1"], path + "-0000.params")
    x7 = nd.array(np.random.RandomState(6).randn(7, 2, 4))
    o7, _ = net(x7, h)
    e7, _ = eager(x7, h)
    assert o7.shape == (7, 2, 6)
    np.testing.assert_allclose(o7.asnumpy(), e7.asnumpy(), rtol=1e-5, atol=1e-6)


def test_while_loop_on_a_device_pads_on_that_device():
    """The zero rows of the steps that did not run live on the loop's device (an
    OpenCL graph gave a concat device mismatch); skipped without a device."""
    try:
        ctx = mx.opencl(0)
        nd.zeros(1, ctx=ctx).asnumpy()
    except mx.MXNetError:
        pytest.skip("no OpenCL device")
    i, s, w = mx.sym.var("i"), mx.sym.var("s"), mx.sym.var("w")
    out, v = mx.sym.contrib.while_loop(lambda i, s: i < 3, lambda i, s: (s * w, [i + 1, s + w]), [i, s],
                                       max_iterations=6)
    g = mx.sym.Group([out, v[1]])
    for start, rows in ((0, [0.5, 0.75, 1.0, 0, 0, 0]), (9, [0] * 6)):
        ex = g.bind(ctx, {"i": nd.array([start], ctx=ctx), "s": nd.array([1, 2], ctx=ctx),
                          "w": nd.array([0.5, 1], ctx=ctx)})
        o = ex.forward()
        assert o[0].context == ctx
        np.testing.assert_allclose(o[0].asnumpy()[:, 0], rows)
