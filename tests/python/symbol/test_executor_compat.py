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

