"""add_n in a graph whose output takes the buffer of a later, dead input (in-place planning).

The kernel used to copy input 0 into the output before reading the other inputs,
so add_n(x, 2x, 3x) with the output in 3x's buffer gave 5x (found by the ONNX
export tests, which compare a bound graph with onnxruntime)."""
import mxcore as mx
import numpy as np
from mxcore import sym as S


def test_add_n_output_in_place_of_a_later_input():
    x = S.var("data")
    v = np.random.RandomState(0).uniform(-1, 1, (3, 700)).astype(np.float32)  # > one 256-element block
    cases = [(S.add_n(x, x * 2, x * 3), 6 * v), (S.add_n(x, x * 2), 3 * v),
             (S.ElementWiseSum(x, S.exp(x)), v + np.exp(v)), (S.add_n(x * 2, x * 3, x), 6 * v)]
    for sym, want in cases:
        got = sym.bind(mx.cpu(), {"data": mx.nd.array(v)}).forward()[0].asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
