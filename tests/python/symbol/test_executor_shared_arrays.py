"""An executor's output arrays are fixed, and Executor.reshape shares memory with the
executor it came from, as MXNet 1.9.1's test_executor.py::test_reshape relies on.
Expected values printed by MXNet 1.9.1 running the same code."""
import mxcore as mx


def _bound():
    y = mx.sym.FullyConnected(mx.sym.Variable("x"), num_hidden=4, name="fc")
    exe = y.simple_bind(mx.cpu(), x=(5, 4), grad_req="null")
    exe.arg_arrays[0][:] = 1
    exe.arg_arrays[1][:] = mx.nd.ones((4, 4))
    exe.arg_arrays[2][:] = 0
    return exe


def test_forward_writes_into_the_output_arrays_held_earlier():
    exe = _bound()
    held = exe.outputs[0]
    exe.forward()
    assert held.asnumpy()[0].tolist() == [4.0, 4.0, 4.0, 4.0]
    exe.arg_arrays[2][:] = 1
    exe.forward()
    assert held.asnumpy()[0].tolist() == [5.0, 5.0, 5.0, 5.0]


def test_reshaped_executor_shares_arguments_and_outputs():
    exe = _bound()
    exe.arg_arrays[2][:] = 1
    exe.forward()
    new = exe.reshape(x=(3, 4))
    assert new.arg_arrays[0].asnumpy().sum() == 12.0  # the front of the old x
    new.arg_arrays[0][:] = 2
    assert exe.arg_arrays[0].asnumpy()[:, 0].tolist() == [2.0, 2.0, 2.0, 1.0, 1.0]
    new.forward()
    assert exe.outputs[0].asnumpy()[:, 0].tolist() == [9.0, 9.0, 9.0, 5.0, 5.0]
    grown = exe.reshape(allow_up_sizing=True, x=(6, 4))
    grown.arg_arrays[0][:] = 0  # a larger array is new memory
    assert exe.arg_arrays[0].asnumpy()[:, 0].tolist() == [2.0, 2.0, 2.0, 1.0, 1.0]
    assert grown.arg_arrays[1].asnumpy().sum() == 16.0  # the weight is shared
