"""Module behaviours MXNet 1.9.1's test_module.py relies on: on several devices the
batch is split along each output's batch axis (its __layout__), a namedtuple batch
with only ``data`` is one batch, a multi-device optimizer lives in ``_kvstore``, and
begin-state variables declared (0, H) get their batch from the graph."""
from collections import namedtuple

import numpy as np

import mxcore as mx


def test_tnc_outputs_split_and_merge_along_axis_1():
    sym = mx.sym.Activation(data=mx.sym.Variable("data"), act_type="relu", __layout__="TNC")
    dshape = (3, 8, 7)
    mod = mx.mod.Module(sym, ("data",), None, context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[mx.io.DataDesc("data", dshape, layout="TNC")], inputs_need_grad=True)
    mod.init_params()
    x = np.arange(3 * 8 * 7, dtype=np.float32).reshape(dshape) - 80
    mod.forward(mx.io.DataBatch(data=[mx.nd.array(x)], label=None))
    mod.backward([mx.nd.ones(dshape)])
    assert mod.get_outputs()[0].shape == dshape
    assert [o.shape for o in mod.get_outputs(merge_multi_context=False)[0]] == [(3, 4, 7), (3, 4, 7)]
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(), np.maximum(x, 0))
    np.testing.assert_array_equal(mod.get_input_grads()[0].asnumpy(), (x > 0).astype(np.float32))


def test_namedtuple_batch_and_multi_device_kvstore():
    Batch = namedtuple("Batch", ["data"])
    mod = mx.mod.Module(symbol=mx.sym.Variable("data") * 2, label_names=None)
    mod.bind(data_shapes=[("data", (1, 10))])
    mod.init_params()
    mod.forward(Batch([mx.nd.ones((1, 10))]))
    assert mod.get_outputs()[0].shape == (1, 10)
    mod.forward(Batch([mx.nd.ones((3, 5))]))
    assert mod.get_outputs()[0].shape == (3, 5)
    fc = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=4)
    one = mx.mod.Module(fc, ("data",), None)
    one.bind(data_shapes=[("data", (4, 3))])
    one.init_params()
    one.init_optimizer(optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    assert one._kvstore is None
    two = mx.mod.Module(fc, ("data",), None, context=[mx.cpu(0), mx.cpu(1)])
    two.bind(data_shapes=[("data", (4, 3))])
    two.init_params()
    two.init_optimizer(optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    two.forward(mx.io.DataBatch(data=[mx.nd.ones((4, 3))]), is_train=True)
    two.backward([mx.nd.ones((4, 4))])
    two.update()
    assert set(two._kvstore._updater.states) == {0, 1}


def test_lstm_begin_states_take_the_batch_from_the_data():
    stack = mx.rnn.SequentialRNNCell()
    for i in range(2):
        stack.add(mx.rnn.LSTMCell(num_hidden=20, prefix="lstm_l%d_" % i))
    begin_state = stack.begin_state(func=mx.sym.Variable)
    _, states = stack.unroll(3, begin_state=begin_state, inputs=mx.sym.Variable("data"))
    g = mx.sym.Group(states)
    args = dict(zip(g.list_arguments(), g.infer_shape(data=(5, 3, 10))[0]))
    for s in begin_state:  # MXNet 1.9.1: (5, 20) each
        assert args[s.name] == (5, 20)
