"""mx.mod.SequentialModule / PythonLossModule (example/module/): the API around the
training numbers that test_excompat_module_programs.py compares with MXNet 1.9.1."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError


def _chain(loss=None):
    net1 = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.var("data"), name="fc1", num_hidden=4), act_type="relu")
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(net1, label_names=None))
    if loss is None:
        loss = mx.mod.Module(
            mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), name="fc2", num_hidden=3), name="softmax")
        )
    return seq.add(loss, take_labels=True, auto_wiring=True)


def test_sequential_module_wires_shapes_names_and_gradients():
    seq = _chain()
    seq.bind([("data", (2, 5))], [("softmax_label", (2,))], inputs_need_grad=True)
    seq.init_params(mx.init.Constant(0.1))
    assert seq.data_names == ["data"] and seq.output_names == ["softmax_output"]
    assert [tuple(s) for s in seq.output_shapes] == [("softmax_output", (2, 3))]
    assert sorted(seq.get_params()[0]) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]
    seq.init_optimizer(optimizer="sgd")
    batch = mx.io.DataBatch([mx.nd.ones((2, 5))], [mx.nd.array([0, 2])])
    seq.forward(batch, is_train=True)
    seq.backward()
    assert seq.get_outputs()[0].shape == (2, 3)
    assert seq.get_input_grads()[0].shape == (2, 5)
    metric = mx.metric.Accuracy()
    seq.update_metric(metric, batch.label)
    assert metric.num_inst == 2


def test_sequential_module_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown meta"):
        mx.mod.SequentialModule().add(mx.mod.Module(mx.sym.var("data") * 2, label_names=None), take_label=True)
    with pytest.raises(MXNetError, match="no module added"):
        mx.mod.SequentialModule().bind([("data", (2, 5))])
    # two modules with one parameter name
    a = mx.mod.Module(mx.sym.FullyConnected(mx.sym.var("data"), name="fc", num_hidden=4), label_names=None)
    b = mx.mod.Module(mx.sym.FullyConnected(mx.sym.var("data"), name="fc", num_hidden=4), label_names=None)
    seq = mx.mod.SequentialModule().add(a).add(b, auto_wiring=True)
    seq.bind([("data", (2, 4))], for_training=False)
    with pytest.raises(MXNetError, match="parameter 'fc_weight' is in module 0"):
        seq.init_params()


def test_python_loss_module_gradient_and_errors():
    def grad_func(scores, labels):
        return np.full(scores.shape, 0.5, dtype="float32")  # not an NDArray: converted

    loss = mx.mod.PythonLossModule(grad_func=grad_func)
    seq = _chain(loss)
    seq.bind([("data", (2, 5))], [("softmax_label", (2,))])
    seq.init_params(mx.init.Constant(0.1))
    seq.init_optimizer(optimizer="sgd")
    seq.forward(mx.io.DataBatch([mx.nd.ones((2, 5))], [mx.nd.array([0, 1])]), is_train=True)
    assert seq.get_outputs()[0].shape == (2, 4)  # the scores pass through
    seq.backward()
    assert loss.get_input_grads()[0].asnumpy().tolist() == [[0.5] * 4] * 2
    with pytest.raises(MXNetError, match="takes no out_grads"):
        loss.backward(out_grads=[mx.nd.ones((2, 4))])
    with pytest.raises(ValueError, match="one data input and one label"):
        mx.mod.PythonLossModule(data_names=("a", "b"))
    with pytest.raises(NotImplementedError, match="grad_func"):
        bare = mx.mod.PythonLossModule()
        bare.bind([("data", (2, 4))], [("softmax_label", (2,))])
        bare.forward(mx.io.DataBatch([mx.nd.ones((2, 4))], [mx.nd.zeros(2)]), is_train=True)
        bare.backward()
