"""Training with row_sparse gradients: Embedding(sparse_grad=True) / SparseEmbedding give a
row_sparse weight.grad() holding the batch's rows, and Trainer's lazy updates (sgd, sgd with
momentum, adam, adagrad, ftrl) and lazy_update=False give MXNet 1.9.1's weights on the same
program (tests/data/mxnet_ref/sparse_train_ref.json, from make_refs_sparse_train.py);
nd.sparse.*_update against numpy."""
import json
import os

import numpy as np
import pytest
from mxcore import autograd, gluon, nd
from mxcore.base import MXNetError

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref", "sparse_train_ref.json")
with open(REF) as _f:
    CASES = json.load(_f)
W0 = (np.arange(40, dtype=np.float32).reshape(10, 4) / 40.0 - 0.5)
BATCHES = [np.array([[1, 3], [3, 7]]), np.array([[0, 1], [9, 9]]), np.array([[3, 5], [2, 2]])]


@pytest.mark.parametrize("key", sorted(CASES))
def test_training_matches_mxnet(key):
    opt, params, layer = key.split("|")
    params = json.loads(params)
    net = gluon.nn.Embedding(10, 4, sparse_grad=True) if layer == "emb" else gluon.contrib.nn.SparseEmbedding(10, 4)
    net.initialize()
    net.weight.set_data(nd.array(W0))
    tr = gluon.Trainer(net.collect_params(), opt.replace("_dense", ""), params)
    for b, want in zip(BATCHES, CASES[key]["grads"]):
        with autograd.record():
            y = net(nd.array(b))
            loss = (y * y).sum() + y.sum()
        loss.backward()
        g = net.weight.grad()
        assert [g.stype, g.indices.asnumpy().tolist()] == want
        tr.step(2)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.array(CASES[key]["w"]), rtol=1e-5, atol=1e-5)


def test_grad_values_and_zero_grad():
    net = gluon.nn.Embedding(6, 3, sparse_grad=True)
    net.initialize()
    w = net.weight.data().asnumpy()
    x = np.array([4, 1, 4])
    with autograd.record():
        y = net(nd.array(x))
    y.backward(nd.ones_like(y) * 2)
    g = net.weight.grad()
    assert g.stype == "row_sparse" and g.shape == (6, 3)
    want = np.zeros((6, 3), np.float32)
    np.add.at(want, x, 2.0)
    np.testing.assert_array_equal(g.asnumpy(), want)
    np.testing.assert_array_equal(g.indices.asnumpy(), [1, 4])
    assert net.weight.list_grad()[0] is net.weight.grad()
    net.weight.zero_grad()
    assert net.weight.grad().indices.shape == (0,)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), w)
    dense = gluon.nn.Embedding(6, 3)
    dense.initialize()
    with autograd.record():
        z = dense(nd.array(x))
    z.backward()
    assert dense.weight.grad().stype == "default"


def _rsp(rows, data, shape):
    return nd.sparse.row_sparse_array((np.asarray(data, np.float32), np.asarray(rows)), shape=shape)


def test_sparse_update_ops_vs_numpy():
    rs = np.random.RandomState(0)
    w = rs.randn(5, 3).astype(np.float32)
    rows = np.array([0, 3])
    gd = rs.randn(2, 3).astype(np.float32)
    g = _rsp(rows, gd, (5, 3))
    lr, wd, mom = 0.1, 0.05, 0.9
    # sgd: only the rows of the grad change, decay included
    W = nd.array(w)
    nd.sparse.sgd_update(W, g, lr=lr, wd=wd, out=W)
    want = w.copy()
    want[rows] = (1 - lr * wd) * w[rows] - lr * gd
    np.testing.assert_allclose(W.asnumpy(), want, rtol=1e-6)
    # lazy_update=False: every row decays (MXNet's standard update)
    W = nd.array(w)
    nd.sgd_update(W, g, lr=lr, wd=wd, lazy_update=False, out=W)
    dg = np.zeros_like(w)
    dg[rows] = gd
    np.testing.assert_allclose(W.asnumpy(), (1 - lr * wd) * w - lr * dg, rtol=1e-6)
    # sgd_mom
    W, M = nd.array(w), nd.ones((5, 3))
    nd.sparse.sgd_mom_update(W, g, M, lr=lr, momentum=mom, wd=wd, out=W)
    m = np.ones_like(w)
    m[rows] = mom * 1 - lr * wd * w[rows] - lr * gd
    want = w.copy()
    want[rows] += m[rows]
    np.testing.assert_allclose(M.asnumpy(), m, rtol=1e-6)
    np.testing.assert_allclose(W.asnumpy(), want, rtol=1e-6)
    # adam
    W, mean, var = nd.array(w), nd.zeros((5, 3)), nd.zeros((5, 3))
    nd.adam_update(W, g, mean, var, lr=lr, wd=wd, out=W)
    gg = gd + wd * w[rows]
    mn, vr = 0.1 * gg, 0.001 * gg * gg
    want = w.copy()
    want[rows] -= lr * mn / (np.sqrt(vr) + 1e-8)
    np.testing.assert_allclose(W.asnumpy(), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(mean.asnumpy()[[1, 2, 4]], 0)
    # adagrad
    W, h = nd.array(w), nd.zeros((5, 3))
    nd.sparse.adagrad_update(W, g, h, lr=lr, epsilon=1e-7, out=W)
    want = w.copy()
    want[rows] -= lr * gd / (np.sqrt(gd * gd) + 1e-7)
    np.testing.assert_allclose(W.asnumpy(), want, rtol=1e-5, atol=1e-5)
    # float64, and out= a different array leaves the weight alone
    W64 = nd.array(w.astype(np.float64), dtype="float64")
    g64 = nd.sparse.row_sparse_array((gd.astype(np.float64), rows), shape=(5, 3))
    out = nd.zeros((5, 3), dtype="float64")
    nd.sparse.sgd_update(W64, g64, lr=lr, out=out)
    want = w.astype(np.float64).copy()
    want[rows] -= lr * gd.astype(np.float64)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(W64.asnumpy(), w.astype(np.float64))


def test_sparse_update_errors():
    g = _rsp([0, 9], np.ones((2, 3)), (10, 3))
    with pytest.raises(MXNetError, match=r"_sparse_rsp_sgd_update: grad_indices must be sorted, unique and in "
                                         r"\[0, 5\); got 9"):
        nd.sparse.sgd_update(nd.zeros((5, 3)), g, lr=0.1)
    with pytest.raises(MXNetError, match=r"grad_data \(2,3\) must be \(len\(grad_indices\), weight.shape\[1:\]\) "
                                         r"for weight \(10,4\)"):
        nd.sparse.sgd_update(nd.zeros((10, 4)), g, lr=0.1)
    with pytest.raises(MXNetError, match="state 3"):
        nd.sparse.sgd_mom_update(nd.zeros((10, 3)), g, nd.zeros((10, 2)), lr=0.1)
    with pytest.raises(MXNetError, match="weight must be dense"):
        nd.sparse.sgd_update(g, g, lr=0.1)


def test_gradient_view_in_place_ops():
    """In-place arithmetic on a row_sparse gradient (clip_global_norm scales it) writes the buffer."""
    net = gluon.nn.Embedding(6, 2, sparse_grad=True)
    net.initialize()
    with autograd.record():
        loss = (net(nd.array([1, 4, 4])) * 10).sum()
    loss.backward()
    before = net.weight.grad().asnumpy()
    norm = gluon.utils.clip_global_norm([net.weight.grad()], 1.0)
    assert abs(norm - np.linalg.norm(before)) < 1e-3
    g = net.weight.grad()
    assert g.stype == "row_sparse" and g.indices.asnumpy().tolist() == [1, 4]
    np.testing.assert_allclose(g.asnumpy(), before / np.linalg.norm(before), rtol=1e-5)


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("opt", ["adam", "sgd"])
def test_masked_padding_rows_match_mxnet(opt, hybridize):
    """The gradient's rows are the batch's indices even where the loss masks them out (index 0 =
    padding), so the lazy Adam / momentum-SGD-with-wd updates touch row 0 as MXNet 1.9.1's do."""
    with open(os.path.join(os.path.dirname(REF), "sparse_pad_ref.json")) as f:
        ref = json.load(f)[opt]
    params = {"adam": {"learning_rate": 0.1}, "sgd": {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.1}}[opt]
    batches = [np.array([[1, 3, 0], [3, 7, 0]]), np.array([[0, 1, 0], [9, 9, 0]]), np.array([[3, 5, 0], [2, 0, 0]])]
    net = gluon.nn.Embedding(10, 4, sparse_grad=True)
    net.initialize()
    if hybridize:
        net.hybridize()
    net.weight.set_data(nd.array(W0))
    tr = gluon.Trainer(net.collect_params(), opt, params)
    for b, want in zip(batches, ref["rows"]):
        x = nd.array(b)
        with autograd.record():
            y = net(x)
            loss = ((y * y).sum(axis=2, keepdims=True) * (x != 0).expand_dims(2)).sum()
        loss.backward()
        assert net.weight.grad().indices.asnumpy().tolist() == want
        tr.step(2)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.array(ref["w"]), rtol=1e-5, atol=1e-6)
