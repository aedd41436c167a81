"""Executor behaviour as MXNet 1.9.1 has it (expected values printed by MXNet 1.9.1)."""
import numpy as np

import mxcore as mx
from mxcore import sym


def _lro():
    fc = sym.FullyConnected(sym.var("data"), num_hidden=3, name="fc")
    return sym.LinearRegressionOutput(fc, sym.var("label"), name="lro")


def test_simple_bind_type_dict_reaches_labels_and_outputs():
    ex = _lro().simple_bind(mx.cpu(), data=(2, 4), label=(2, 3), type_dict={"data": "float64"})
    assert {k: v.dtype for k, v in ex.arg_dict.items()} == {
        "data": np.float64, "fc_weight": np.float64, "fc_bias": np.float64, "label": np.float64}
    assert ex.outputs[0].dtype == np.float64 and ex.outputs[0].shape == (2, 3)  # before any forward
    sm = sym.SoftmaxOutput(sym.FullyConnected(sym.var("data"), num_hidden=3, name="fc"), name="sm")
    assert sm.simple_bind(mx.cpu(), data=(2, 4), type_dict={"data": "float64"}).arg_dict["sm_label"].dtype == np.float64



def test_backward_casts_head_gradients_and_runs_without_a_forward():
    # values printed by MXNet 1.9.1
    a = mx.sym.Variable("a", dtype="float64")
    e = mx.sym.batch_dot(a, a).simple_bind(mx.cpu(), a=(1, 2, 2))
    e.forward(is_train=True, a=np.arange(4.0).reshape(1, 2, 2))
    e.backward([mx.nd.ones((1, 2, 2))])  # a float32 head gradient for a float64 output
    assert e.grad_dict["a"].dtype == np.float64
    np.testing.assert_allclose(e.grad_dict["a"].asnumpy(), [[[3.0, 7.0], [5.0, 9.0]]])
    e = mx.sym.repeat(mx.sym.Variable("d"), repeats=2, axis=0).bind(
        mx.cpu(), args=[mx.nd.ones((3, 4))], args_grad=[mx.nd.zeros((3, 4))])
    e.backward(mx.nd.ones((6, 4)))  # no forward before it
    np.testing.assert_allclose(e.grad_arrays[0].asnumpy(), np.full((3, 4), 2.0))
