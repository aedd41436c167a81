"""MXNet 1.x contrib ops with unusual gradients or outputs: round_ste / sign_ste
(straight through), gradientmultiplier, quadratic, allclose, index_array, index_copy
and the SVMOutput loss layer; values and gradients are what MXNet 1.9.1 printed."""
import numpy as np
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

X = np.array([[-1.5, -0.4, 0.5], [1.5, 2.49, 0]], "f")
HEAD = np.array([[1, 2, 3], [4, 5, 6]], "f")


def test_straight_through_and_gradient_multiplier():
    for op, fwd in (("_contrib_round_ste", [[-2, -0, 1], [2, 2, 0]]), ("_contrib_sign_ste", [[-1, -1, 1], [1, 1, 0]])):
        assert run_op(op, [X])[0].tolist() == fwd
        assert autograd_grads(op, [X], {}, [0], HEAD)[0].tolist() == HEAD.tolist()  # gradient passes unchanged
    assert run_op("_contrib_gradientmultiplier", [X], {"scalar": -0.5})[0].tolist() == X.tolist()
    g = autograd_grads("_contrib_gradientmultiplier", [X], {"scalar": -0.5}, [0], HEAD)[0]
    assert g.tolist() == (-0.5 * HEAD).tolist()


def test_quadratic():
    check_op("_contrib_quadratic", [X], {"a": 2, "b": -1, "c": 3}, lambda x: 2 * x * x - x + 3)
    g = autograd_grads("_contrib_quadratic", [X], {"a": 2, "b": -1, "c": 3}, [0], np.ones_like(X))[0]
    np.testing.assert_allclose(g, [[-7, -2.6, 1], [5, 8.96, -1]], rtol=1e-6)  # MXNet's
    check_grad("_contrib_quadratic", [X.astype(np.float64)], {"a": 0.7, "b": 0.2, "c": -1})


def test_allclose():
    def ac(a, b, **kw):
        out = run_op("_contrib_allclose", [np.array(a, "f"), np.array(b, "f")], kw)[0]
        assert out.shape == () and out.dtype == np.uint8
        return int(out)
    # MXNet 1.9.1's answers
    assert ac([1, 1, 1], [1, 1, 1]) == 1 and ac([1e-9], [0]) == 1 and ac([1], [1.00002]) == 0
    assert ac([2, 3], [1, 1], rtol=1, atol=1) == 1 and ac([1, 3], [2, 1], rtol=1, atol=1) == 1
    nan, inf = float("nan"), float("inf")
    assert ac([nan], [nan]) == 1 and ac([nan], [nan], equal_nan=False) == 0 and ac([inf], [inf]) == 1
    expect_error("_contrib_allclose", [np.ones(2, "f"), np.ones(1, "f")], {}, contains=("allclose", "same shape"))


def test_index_array_and_index_copy():
    ia = run_op("_contrib_index_array", [np.zeros((2, 3), "f")])[0]
    assert ia.dtype == np.int64 and ia.tolist() == [[[0, 0], [0, 1], [0, 2]], [[1, 0], [1, 1], [1, 2]]]
    ia = run_op("_contrib_index_array", [np.zeros((2, 3, 2), "f")], {"axes": (2, 0)})[0]
    assert ia[0].tolist() == [[[0, 0], [1, 0]], [[0, 0], [1, 0]], [[0, 0], [1, 0]]]
    old, new, idx = np.zeros((4, 3), "f"), np.array([[1, 2, 3], [4, 5, 6]], "f"), np.array([2, 0], "f")
    assert run_op("_contrib_index_copy", [old, idx, new])[0].tolist() == [[4, 5, 6], [0, 0, 0], [1, 2, 3], [0, 0, 0]]
    head = np.arange(12, dtype="f").reshape(4, 3)
    d_old, d_new = autograd_grads("_contrib_index_copy", [old, idx, new], {}, [0, 2], head)
    assert d_old.tolist() == [[0, 0, 0], [3, 4, 5], [0, 0, 0], [9, 10, 11]] and d_new.tolist() == [[6, 7, 8], [0, 1, 2]]
    expect_error("_contrib_index_copy", [old, np.array([4], "f"), new[:1]], {}, contains=("index_copy", "index 4"))


def test_svm_output_gradients_match_mxnet():
    d, lab = np.array([[0.2, -0.5, 1.0], [0.3, 0.9, -0.1]], "f"), np.array([2, 0], "f")
    assert run_op("SVMOutput", [d, lab])[0].tolist() == d.tolist()  # identity forward
    g = autograd_grads("SVMOutput", [d, lab], {"margin": 1, "regularization_coefficient": 1}, [0], np.ones_like(d))[0]
    np.testing.assert_allclose(g, [[2.4, 1.0, 0], [-1.4, 3.8, 1.8]], rtol=1e-6)
    g = autograd_grads("SVMOutput", [d, lab], {"margin": 0.5, "regularization_coefficient": 2, "use_linear": True},
                       [0], np.ones_like(d))[0]
    np.testing.assert_allclose(g, [[2, 0, 0], [-2, 2, 2]])
    expect_error("SVMOutput", [d, lab[:1]], {}, contains=("SVMOutput", "label (N,)"))
