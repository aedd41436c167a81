"""mx.nd.contrib.while_loop as MXNet 1.9.1's test_contrib_control_flow.py uses it: a
func with no step output (None) and loops longer than the stack op's input limit."""
import numpy as np

import mxcore as mx
from mxcore.base import _as_list


def test_while_loop_func_without_step_output():
    outs, (i, s) = mx.nd.contrib.while_loop(cond=lambda i, s: i <= 5, func=lambda i, s: (None, (i + 1, s + i)),
                                            loop_vars=(mx.nd.array([1], dtype="int64"),
                                                       mx.nd.array([0], dtype="int64")),
                                            max_iterations=10)
    assert outs == [] and i.asscalar() == 6 and s.asscalar() == 15


def test_while_loop_of_1000_steps_stacks_every_output():
    one = mx.nd.array([1], dtype="int64")
    outs, (i, s, _) = mx.nd.contrib.while_loop(cond=lambda i, s, t: t, func=lambda i, s, t: (i, (i + 1, s + i, t)),
                                               loop_vars=(one, mx.nd.array([0], dtype="int64"), one),
                                               max_iterations=1000)
    assert outs.shape == (1000, 1)
    assert (outs.asnumpy() == np.arange(1, 1001).reshape(1000, 1)).all()
    assert i.asscalar() == 1001 and s.asscalar() == 500500


def test_base_as_list_keeps_lists_and_tuples():
    t = (1, 2)
    assert _as_list(t) is t and _as_list(3) == [3]
