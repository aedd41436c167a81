"""mx.model checkpoints (prefix-symbol.json + prefix-%04d.params), mx.sym.random, and MXNet's op
sub-namespaces (mx.nd.contrib, mx.sym.contrib, mx.nd.linalg, mx.sym.linalg)."""
import os

import mxcore as mx
import numpy as np
import pytest
from mxcore import nd

REF = os.path.join(os.path.dirname(__file__), "..", "data", "mxnet_ref")


def test_load_checkpoint_written_by_mxnet_predicts_mxnets_outputs():
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(REF, "mlp"), 0)
    assert sorted(arg_params) == ["dense0_bias", "dense0_weight", "dense1_bias", "dense1_weight"]
    assert aux_params == {}
    io = nd.load(os.path.join(REF, "mlp-io.params"))
    ex = sym.bind(mx.cpu(), dict(arg_params, data=io["x"]))
    out = ex.forward()[0]
    np.testing.assert_allclose(out.asnumpy(), io["y"].asnumpy(), rtol=1e-4, atol=1e-5)


def test_save_and_load_checkpoint_round_trip(tmp_path):
    data = mx.sym.var("data")
    bn = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), name="bn")
    args = {"fc_weight": nd.array(np.arange(12).reshape(3, 4) / 10.0), "fc_bias": nd.array([1.0, 2.0, 3.0]),
            "bn_gamma": nd.array([1.0, 0.5, 2.0]), "bn_beta": nd.zeros(3)}
    aux = {"bn_moving_mean": nd.array([0.1, 0.2, 0.3]), "bn_moving_var": nd.array([1.0, 2.0, 3.0])}
    prefix = str(tmp_path / "net")
    mx.model.save_checkpoint(prefix, 7, bn, args, aux)
    assert os.path.exists(prefix + "-symbol.json") and os.path.exists(prefix + "-0007.params")
    sym2, args2, aux2 = mx.model.load_checkpoint(prefix, 7)
    assert sym2.list_arguments() == bn.list_arguments()
    assert sym2.list_auxiliary_states() == bn.list_auxiliary_states()
    for src, dst in ((args, args2), (aux, aux2)):
        assert sorted(src) == sorted(dst)
        for k in src:
            np.testing.assert_array_equal(src[k].asnumpy(), dst[k].asnumpy())


def test_load_params_rejects_gluon_parameter_files(tmp_path):
    prefix = str(tmp_path / "g")
    nd.save(prefix + "-0000.params", {"0.weight": nd.ones((2, 2))})
    with pytest.raises(mx.MXNetError, match=r"0\.weight.*load_parameters"):
        mx.model.load_params(prefix, 0)
    nd.save(prefix + "-0001.params", [nd.ones((2, 2))])
    with pytest.raises(mx.MXNetError, match="list of arrays"):
        mx.model.load_params(prefix, 1)
    with pytest.raises(FileNotFoundError, match="missing-symbol.json"):
        mx.model.load_checkpoint(str(tmp_path / "missing"), 0)
    mx.sym.var("x").save(str(tmp_path / "nop-symbol.json"))
    with pytest.raises((OSError, mx.MXNetError), match="nop-0003.params"):
        mx.model.load_checkpoint(str(tmp_path / "nop"), 3)


def test_contrib_and_linalg_namespaces():
    for ns in (nd.contrib, mx.sym.contrib):
        assert {"boolean_mask", "BilinearResize2D", "CTCLoss"} <= set(ns.__all__)
    assert {"gemm", "gemm2"} <= set(nd.linalg.__all__) and {"gemm", "gemm2"} <= set(mx.sym.linalg.__all__)
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = nd.contrib.boolean_mask(nd.array(x), nd.array([1, 0, 1]))
    np.testing.assert_array_equal(out.asnumpy(), x[[0, 2]])
    a, b = np.random.rand(2, 3).astype(np.float32), np.random.rand(3, 4).astype(np.float32)
    np.testing.assert_allclose(nd.linalg.gemm2(nd.array(a), nd.array(b)).asnumpy(), a @ b, rtol=1e-5)
    s = mx.sym.linalg.gemm2(mx.sym.var("a"), mx.sym.var("b"), alpha=2.0)
    res = s.eval(ctx=mx.cpu(), a=nd.array(a), b=nd.array(b))[0]
    np.testing.assert_allclose(res.asnumpy(), 2 * a @ b, rtol=1e-5)


def test_sym_random_in_hybridized_blocks():
    """F.random inside hybrid_forward: traced into random_*/sample_* graph nodes that
    draw what the eager block draws under the same seed."""
    class Noisy(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + F.random.uniform(low=2, high=3, shape=(50, 3)) + F.random.normal(loc=0, scale=0.1,
                                                                                          shape=(50, 3))

    outs = []
    for hybrid in (False, True):
        net = Noisy()
        if hybrid:
            net.hybridize()
        mx.random.seed(11)
        outs.append(net(nd.zeros((50, 3))).asnumpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)
    assert 1.6 < outs[1].min() and outs[1].max() < 3.4 and abs(outs[1].mean() - 2.5) < 0.1
    s = mx.sym.random.normal(mx.sym.var("m"), mx.sym.var("s"), shape=(4,))  # Symbol parameters: sample_normal
    assert s.infer_shape(m=(2,), s=(2,))[1] == [(2, 4)]
    draws = mx.sym.random.randint(0, 5, shape=(200,)).eval()[0].asnumpy()
    assert set(np.unique(draws)) <= set(range(5)) and len(np.unique(draws)) == 5
    with pytest.raises(ValueError, match="all Symbols or all scalars"):
        mx.sym.random.uniform(mx.sym.var("a"), 1.0)
