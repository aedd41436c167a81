"""Activation ops: forward against numpy/scipy, gradients against finite
differences, LeakyReLU variants (prelu gamma, rrelu train/inference) and bad
input."""
import numpy as np
import pytest
from scipy import special
from harness import check_grad, check_op, expect_error, run_op

RNG = np.random.default_rng(3)
SELU_L, SELU_A = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0, x)


ACT = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "softrelu": softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "log_sigmoid": lambda x: -softplus(-x),
    "mish": lambda x: x * np.tanh(softplus(x)),
}
SIMPLE = {
    "relu": ACT["relu"],
    "sigmoid": sigmoid,
    "softsign": ACT["softsign"],
    "softrelu": softplus,
    "softplus": softplus,
    "gelu": lambda x: 0.5 * x * (1 + special.erf(x / np.sqrt(2))),
    "log_sigmoid": ACT["log_sigmoid"],
    "mish": ACT["mish"],
}


def _x(shape, dtype=np.float64):
    x = RNG.standard_normal(shape) * 3
    x = np.sign(x) * (np.abs(x) + 0.05)  # keep away from kinks at 0
    return x.astype(dtype)


SHAPES = [(1,), (0,), (3, 4), (2, 3, 4, 5), (40000,)]


@pytest.mark.parametrize("name", list(SIMPLE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_simple(name, dtype):
    for shape in SHAPES:
        x = _x(shape, dtype)
        out = check_op(name, [x], {}, lambda x: SIMPLE[name](x.astype(np.float64)), rtol=1e-5, atol=1e-6)
        assert out[0].dtype == dtype
    check_grad(name, [_x((3, 4))])


def test_extreme_values_are_stable():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for name in ("sigmoid", "softrelu", "log_sigmoid", "mish"):
        out = run_op(name, [x])[0]
        assert np.all(np.isfinite(out) | (np.abs(x) > 100)), name
    np.testing.assert_allclose(run_op("log_sigmoid", [x])[0], -softplus(-x))
    np.testing.assert_allclose(run_op("softrelu", [x])[0], softplus(x))


def test_hard_sigmoid():
    x = _x((5, 6))
    for attrs in ({}, {"alpha": 0.3, "beta": 0.4}):
        a, b = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
        check_op("hard_sigmoid", [x], attrs, lambda x: np.clip(a * x + b, 0, 1))
    x = np.array([-4.0, -1.0, 0.3, 1.2, 4.0])
    check_grad("hard_sigmoid", [x], {})


def test_swish():
    x = _x((4, 5))
    for beta in (1.0, 2.5):
        check_op("swish", [x], {"beta": beta}, lambda x: x * sigmoid(beta * x))
        check_grad("swish", [x], {"beta": beta})


@pytest.mark.parametrize("act", list(ACT))
def test_activation(act):
    for dtype in (np.float32, np.float64):
        for shape in SHAPES:
            check_op("Activation", [_x(shape, dtype)], {"act_type": act}, lambda x: ACT[act](x.astype(np.float64)),
                     rtol=1e-5, atol=1e-6)
    check_grad("Activation", [_x((3, 4))], {"act_type": act})


def _lrelu_ref(act, slope=0.25, lower=0.125, upper=0.334):
    return {
        "leaky": lambda x: np.where(x > 0, x, slope * x),
        "elu": lambda x: np.where(x > 0, x, slope * (np.exp(x) - 1)),
        "selu": lambda x: SELU_L * np.where(x > 0, x, SELU_A * (np.exp(x) - 1)),
        "gelu": lambda x: 0.5 * x * (1 + special.erf(x / np.sqrt(2))),
        "rrelu": lambda x: np.where(x > 0, x, (lower + upper) / 2 * x),
    }[act]


@pytest.mark.parametrize("act", ["leaky", "elu", "selu", "gelu"])
def test_leaky_relu(act):
    for dtype in (np.float32, np.float64):
        for shape in SHAPES:
            check_op("LeakyReLU", [_x(shape, dtype)], {"act_type": act, "slope": 0.3},
                     lambda x: _lrelu_ref(act, 0.3)(x.astype(np.float64)), rtol=1e-5, atol=1e-6)
    check_grad("LeakyReLU", [_x((3, 4))], {"act_type": act, "slope": 0.3})
    if act == "leaky":
        check_op("LeakyReLU", [_x((3, 4))], {}, _lrelu_ref("leaky"))


def test_rrelu():
    x = _x((50, 40))
    # inference: mean slope
    check_op("LeakyReLU", [x], {"act_type": "rrelu"}, _lrelu_ref("rrelu"))
    check_grad("LeakyReLU", [_x((3, 4))], {"act_type": "rrelu"}, training=False)
    # training: random slope in [lower, upper] on the negative side
    from harness import autograd_grads
    (g,) = autograd_grads("LeakyReLU", [x], {"act_type": "rrelu", "lower_bound": 0.1, "upper_bound": 0.3}, [0],
                          np.ones_like(x), training=True)
    neg = x < 0
    np.testing.assert_allclose(g[~neg], 1.0)
    assert np.all((g[neg] >= 0.1 - 1e-12) & (g[neg] <= 0.3 + 1e-12))
    assert np.std(g[neg]) > 0.01


def test_rrelu_returns_its_slopes_as_a_second_output_like_mxnet():
    """MXNet 1.9.1: nd.LeakyReLU(act_type='rrelu') is [output, mask] and
    sym.list_outputs() names them; in training the mask holds each element's
    random slope (the one the output and the gradient use)."""
    import mxcore as mx
    x = mx.nd.array([[-1.0, 2.0], [3.0, -4.0]])
    out, mask = mx.nd.LeakyReLU(x, act_type="rrelu")  # inference: the mean slope (0.125 + 0.334) / 2
    np.testing.assert_allclose(out.asnumpy(), [[-0.2295, 2.0], [3.0, -0.918]], rtol=1e-6)  # MXNet's values
    np.testing.assert_allclose(mask.asnumpy(), np.full((2, 2), 0.2295), rtol=1e-6)
    assert mx.sym.LeakyReLU(mx.sym.var("x"), act_type="rrelu", name="r").list_outputs() == ["r_output", "r_mask"]
    assert mx.sym.LeakyReLU(mx.sym.var("x"), act_type="leaky", name="l").list_outputs() == ["l_output"]
    xv = np.random.RandomState(1).uniform(-1, 1, (20, 30))
    x = mx.nd.array(xv)
    x.attach_grad()
    with mx.autograd.record():
        out, mask = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)
    out.backward()
    m = mask.asnumpy()
    assert (m >= 0.1 - 1e-7).all() and (m <= 0.3 + 1e-7).all() and m.std() > 0.01
    np.testing.assert_allclose(out.asnumpy(), np.where(xv > 0, xv, m * xv), rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy()[xv < 0], m[xv < 0], rtol=1e-6)


def test_prelu():
    x = _x((2, 3, 4))
    for gamma in (np.array([0.1, 0.2, 0.3]), np.array([0.25])):
        g = gamma.reshape((1, -1, 1)) if gamma.size > 1 else gamma
        check_op("LeakyReLU", [x, gamma], {"act_type": "prelu"}, lambda x, gm: np.where(x > 0, x, g * x))
        check_grad("LeakyReLU", [x, gamma], {"act_type": "prelu"})
    x32 = _x((4, 3), np.float32)
    check_op("LeakyReLU", [x32, np.array([0.5, 0.1, 0.2], np.float32)], {"act_type": "prelu"},
             lambda x, gm: np.where(x > 0, x, gm * x))


def test_bad_input():
    expect_error("LeakyReLU", [np.zeros((2, 3, 4)), np.zeros(4)], {"act_type": "prelu"},
                 contains=("LeakyReLU", "(2,3,4)", "(4,)"))
    expect_error("LeakyReLU", [np.zeros((2, 3))], {"act_type": "prelu"}, contains=("LeakyReLU",))
    expect_error("LeakyReLU", [np.zeros((2, 3))], {"act_type": "rrelu", "lower_bound": 0.5, "upper_bound": 0.1},
                 contains=("LeakyReLU", "(2,3)"))
    expect_error("Activation", [np.zeros((2, 3))], {"act_type": "swishy"}, contains=("Activation",))
    expect_error("Activation", [np.zeros((2, 3))], {}, contains=("Activation",))
    expect_error("relu", [np.zeros(3), np.zeros(3)], contains=("relu",))
