"""Shape inference with unknown (0) dims, as MXNet 1.9.1's test_infer_shape.py has it:
variables declared with 0 dims take them from the elementwise ops they reach, and
partial inference leaves undecided (not an error) an op whose inputs still have a 0
dim. Expected shapes printed by MXNet 1.9.1."""
import numpy as np

import mxcore as mx


def _args(sym, **kw):
    return dict(zip(sym.list_arguments(), sym.infer_shape(**kw)[0]))


def test_declared_zero_dims_come_from_the_elementwise_partner():
    a, b = mx.sym.Variable("a", shape=(0, 10)), mx.sym.Variable("b", shape=(12, 0))
    assert _args(a + b) == {"a": (12, 10), "b": (12, 10)}
    a = mx.sym.Variable("a", shape=(0, 10))
    d = mx.sym.FullyConnected(data=a, num_hidden=21, name="fc") + mx.sym.Variable("c", shape=(5, 0))
    got = _args(d)
    assert got["a"] == (5, 10) and got["c"] == (5, 21) and got["fc_weight"] == (21, 10)


def test_declared_zero_dims_through_slice_conv_and_concat():
    a = mx.sym.Variable("a", shape=(0, 15, 0))
    d = mx.sym.SliceChannel(data=a, num_outputs=3, squeeze_axis=False)[1] + mx.sym.Variable("c", shape=(3, 5, 2))
    assert _args(d)["a"] == (3, 15, 2)
    a = mx.sym.Variable("a", shape=(0, 10, 0, 0))
    b = mx.sym.Convolution(data=a, num_filter=21, kernel=(3, 3), dilate=(1, 1), pad=(1, 1))
    assert _args(b + mx.sym.Variable("c", shape=(5, 21, 32, 32)))["a"] == (5, 10, 32, 32)
    c = mx.sym.Concat(mx.sym.Variable("a", shape=(0, 10)), mx.sym.Variable("b", shape=(0, 5)), num_args=2, dim=1)
    got = _args(mx.sym.Variable("d", shape=(2, 0)) + c)
    assert (got["a"], got["b"], got["d"]) == ((2, 10), (2, 5), (2, 15))


def test_partial_inference_leaves_an_op_with_unknown_dims_undecided():
    z = mx.sym.batch_dot(mx.sym.Variable("x"), mx.sym.Variable("y"))
    assert z.infer_shape_partial(x=(0, 3, 4), y=(0, 0, 5))[1] == [()]
    assert z.infer_shape_partial(x=(0, 3, 4), y=(0, 4, 5))[1] == [(0, 3, 5)]
    assert mx.base.mx_real_t is np.float32
