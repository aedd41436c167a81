"""MXNet 1.x's legacy and fused op names that old model files and programs
use: Convolution_v1, Pooling_v1, _zeros_without_dtype, the capitalised
comparison names (_Greater, _LogicalAndScalar ...), batch_take,
choose_element_0index, onehot_encode, contrib.BatchNormWithReLU /
gluon.nn.BatchNormReLU, and the mx.nd._internal / mx.nd.op namespaces.
Expected values were printed by MXNet 1.9.1."""
import json

import numpy as np
import pytest

import mxcore as mx

# written by MXNet 1.9.1 (Convolution_v1 -> Pooling_v1 -> _Greater against a
# _zeros_without_dtype with a 0 (unknown) batch; batch_take on the flattened pool)
LEGACY_JSON = json.dumps({
    "nodes": [
        {"op": "null", "name": "data", "inputs": []},
        {"op": "null", "name": "c1_weight", "attrs": {"kernel": "(3, 3)", "num_filter": "2", "pad": "(1, 1)"},
         "inputs": []},
        {"op": "null", "name": "c1_bias", "attrs": {"kernel": "(3, 3)", "num_filter": "2", "pad": "(1, 1)"},
         "inputs": []},
        {"op": "Convolution_v1", "name": "c1", "attrs": {"kernel": "(3, 3)", "num_filter": "2", "pad": "(1, 1)"},
         "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
        {"op": "Pooling_v1", "name": "p1", "attrs": {"kernel": "(2, 2)", "pool_type": "max", "stride": "(2, 2)"},
         "inputs": [[3, 0, 0]]},
        {"op": "_zeros_without_dtype", "name": "_zeros_without_dtype0", "attrs": {"shape": "(0, 2, 2, 2)"},
         "inputs": []},
        {"op": "_Greater", "name": "_greater0", "inputs": [[4, 0, 0], [5, 0, 0]]},
        {"op": "Reshape", "name": "reshape0", "attrs": {"shape": "(1, -1)"}, "inputs": [[4, 0, 0]]},
        {"op": "null", "name": "idx", "inputs": []},
        {"op": "batch_take", "name": "batch_take0", "inputs": [[7, 0, 0], [8, 0, 0]]}],
    "arg_nodes": [0, 1, 2, 8], "node_row_ptr": list(range(11)),
    "heads": [[4, 0, 0], [6, 0, 0], [9, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})


def test_legacy_graph_runs_as_in_mxnet():
    sym = mx.sym.load_json(LEGACY_JSON)
    x = np.arange(32, dtype="float32").reshape(1, 2, 4, 4) / 10 - 1.5
    w = (np.arange(36, dtype="float32").reshape(2, 2, 3, 3) % 7 - 3) / 10
    b = np.array([0.1, -0.2], "float32")
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array(x), "c1_weight": mx.nd.array(w), "c1_bias": mx.nd.array(b),
                             "idx": mx.nd.array([5], dtype="int32")})
    ex.forward()
    pool, gt, taken = (o.asnumpy().ravel() for o in ex.outputs)
    np.testing.assert_allclose(pool, [0.56, 0.63, 0.69, 1.0, 0.47, 0.70, -0.36, 0.42], atol=1e-5)
    np.testing.assert_array_equal(gt, [1, 1, 1, 1, 1, 1, 0, 1])
    np.testing.assert_allclose(taken, [0.70], atol=1e-5)


def test_v1_ops_equal_current_ops():
    rs = np.random.RandomState(0)
    x = mx.nd.array(rs.randn(2, 3, 7, 7))
    w = mx.nd.array(rs.randn(4, 3, 3, 3))
    a = mx.nd.Convolution_v1(x, w, no_bias=True, kernel=(3, 3), num_filter=4, stride=(2, 2), pad=(1, 1),
                             cudnn_tune="off")
    b = mx.nd.Convolution(x, w, no_bias=True, kernel=(3, 3), num_filter=4, stride=(2, 2), pad=(1, 1))
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    for conv in ("valid", "full"):
        for pt in ("max", "avg", "sum"):
            a = mx.nd.Pooling_v1(x, kernel=(3, 3), pool_type=pt, stride=(2, 2), pooling_convention=conv)
            b = mx.nd.Pooling(x, kernel=(3, 3), pool_type=pt, stride=(2, 2), pooling_convention=conv)
            assert a.shape == (2, 3, 3, 3)
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_capitalised_comparison_names():
    a = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    z = mx.nd.array([[1, 0, 3], [0, 5, 0]])
    ops = mx.nd._internal
    np.testing.assert_array_equal(ops._Equal(a, z).asnumpy(), [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(ops._Not_Equal(a, z).asnumpy(), [[0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(ops._Greater(a, z).asnumpy(), [[0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(ops._Lesser_Equal(a, z).asnumpy(), [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(ops._Logical_Xor(a, z).asnumpy(), [[0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(ops._LogicalAndScalar(a, scalar=0).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(ops._LogicalOrScalar(z, scalar=0).asnumpy(), [[1, 0, 1], [0, 1, 0]])


def test_internal_and_op_namespaces():
    from mxcore.ndarray import _internal  # noqa: F401  (importable as in MXNet)
    import mxcore.symbol._internal as sym_internal
    assert "_plus_scalar" in mx.nd._internal.__all__ and "relu" not in mx.nd._internal.__all__
    assert "relu" in mx.nd.op.__all__ and "_plus_scalar" not in mx.nd.op.__all__
    np.testing.assert_array_equal(mx.nd._internal._plus_scalar(mx.nd.ones(2), scalar=2).asnumpy(), [3, 3])
    s = sym_internal._zeros_without_dtype(shape=(0, 4)) + mx.sym.var("x")
    assert s.infer_shape(x=(3, 4))[1] == [(3, 4)]


def test_batch_take_and_choose_element_0index():
    a = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    # MXNet clips out-of-range indices: 5 -> 2, -1 -> 0
    np.testing.assert_array_equal(mx.nd.batch_take(a, mx.nd.array([5, -1], dtype="int32")).asnumpy(), [3, 4])
    np.testing.assert_array_equal(mx.nd.batch_take(a=a, indices=mx.nd.array([2, 0], dtype="int32")).asnumpy(),
                                  [3, 4])
    np.testing.assert_array_equal(mx.nd.choose_element_0index(a, mx.nd.array([2, 0])).asnumpy(), [3, 4])
    with pytest.raises(mx.MXNetError, match="batch_take"):
        mx.nd.batch_take(a, mx.nd.array([1, 2, 0], dtype="int32"))


def test_onehot_encode_writes_out():
    out = mx.nd.zeros((2, 4))
    r = mx.nd.onehot_encode(mx.nd.array([1, 3]), out)
    assert r is out
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1, 0, 0], [0, 0, 0, 1]])
    with pytest.raises(ValueError, match="onehot_encode"):
        mx.nd.onehot_encode(mx.nd.array([1, 3, 0]), out)


# MXNet 1.9.1: contrib.BatchNormWithReLU(x, gamma, beta, zeros, ones, fix_gamma=False) in training,
# x = np.random.RandomState(0).randn(2, 3, 2, 2), head gradient arange(24)/10
BNR_Y = [1.3558944463729858, 0.0, 0.239622563123703, 2.033691644668579, 2.978787422180176, 0.0, 1.112796664237976,
         0.0, 0.24809372425079346, 0.47166305780410767, 0.3556811511516571, 0.9257810711860657, 0.0, 0.0, 0.0, 0.0,
         2.219189405441284, 0.0, 0.0, 0.0, 0.0, 0.5774046182632446, 0.6691343784332275, 0.0]
BNR_DX = [-0.22451961040496826, -0.015074477531015873, 0.1803629845380783, 0.12868478894233704, -1.045515537261963,
          0.3216163218021393, 0.06452709436416626, -0.311481773853302, -0.06703479588031769, -0.13304199278354645,
          -0.03271514177322388, -0.2684752941131592, -0.0704927146434784, 0.027690339833498, -0.021786149591207504,
          -0.004865102004259825, 1.6813831329345703, -0.2702413499355316, -0.6674803495407104, 0.22719281911849976,
          0.10703500360250473, 0.3372962772846222, 0.335872620344162, -0.27893686294555664]


def test_batchnorm_with_relu_matches_mxnet():
    x = mx.nd.array(np.random.RandomState(0).randn(2, 3, 2, 2))
    g, b = mx.nd.array([1.0, 2, 0.5]), mx.nd.array([0.1, -0.2, 0.3])
    mm, mv = mx.nd.zeros(3), mx.nd.ones(3)
    for p in (x, g, b):
        p.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.BatchNormWithReLU(x, g, b, mm, mv, fix_gamma=False)
    y.backward(mx.nd.array(np.arange(24).reshape(2, 3, 2, 2) / 10.0))
    np.testing.assert_allclose(y.asnumpy().ravel(), BNR_Y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy().ravel(), BNR_DX, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g.grad.asnumpy(), [0.6080319881439209, 2.9649481773376465, 4.50331449508667],
                               rtol=1e-5)
    np.testing.assert_allclose(b.grad.asnumpy(), [0.5, 2.6, 8.1], rtol=1e-5)
    np.testing.assert_allclose(mm.asnumpy(), [0.08805116266012192, 0.030461309477686882, 0.001607458689250052],
                               rtol=1e-5)
    np.testing.assert_allclose(mv.asnumpy(), [0.9493933916091919, 0.996599555015564, 1.0319483280181885],
                               rtol=1e-5)


def test_batchnorm_relu_layer_hybridizes_and_exports(tmp_path):
    x = mx.nd.array(np.random.RandomState(1).randn(4, 3, 5, 5))
    eager = mx.gluon.nn.BatchNormReLU(in_channels=3)
    eager.initialize()
    with mx.autograd.record():
        ref = eager(x)
    assert (ref.asnumpy() >= 0).all() and (ref.asnumpy() == 0).any()
    net = mx.gluon.nn.BatchNormReLU()
    net.initialize()
    net.hybridize()
    with mx.autograd.record():
        out = net(x)
    np.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-6)
    assert repr(net) == ("BatchNormReLU(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                         "use_global_stats=False, in_channels=3)")
    net.export(str(tmp_path / "bnr"))
    nodes = json.load(open(tmp_path / "bnr-symbol.json"))["nodes"]
    assert nodes[-1]["op"] == "_contrib_BatchNormWithReLU" and nodes[-1]["name"] == "batchnormrelu1_fwd"


def test_internal_names_of_graph_helpers():
    """names MXNet's executor and old JSON files use for plain ops: "_crop_assign"
    (slice assign), "_crop_assign_scalar", "_grad_add" (gradient accumulation),
    "_copyto" and "_CrossDeviceCopy" (copies; one device here)"""
    ops = mx.nd._internal
    a = mx.nd.zeros((3, 4))
    np.testing.assert_array_equal(ops._crop_assign(a, mx.nd.ones((2, 2)), begin=(0, 1), end=(2, 3)).asnumpy(),
                                  [[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(
        ops._crop_assign_scalar(a, scalar=5, begin=(1, 0), end=(2, 4)).asnumpy(), [[0] * 4, [5] * 4, [0] * 4])
    np.testing.assert_array_equal(ops._grad_add(a + 1, a + 2).asnumpy(), np.full((3, 4), 3))
    for name in ("_copyto", "_CrossDeviceCopy"):
        np.testing.assert_array_equal(getattr(ops, name)(a + 3).asnumpy(), np.full((3, 4), 3))
