"""creation family: zeros, ones, full, arange, linspace, eye and the *_like fills."""
import numpy as np
import pytest

from harness import check_op, expect_error, run_op

DTYPES = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]
SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 1, 1, 5)]


def one(name, attrs):
    return run_op(name, [], attrs)[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_zeros_ones_full(dtype, shape):
    for name, ref in [("zeros", np.zeros(shape, dtype)), ("_zeros", np.zeros(shape, dtype)),
                      ("ones", np.ones(shape, dtype)), ("_ones", np.ones(shape, dtype))]:
        out = one(name, {"shape": shape, "dtype": dtype, "ctx": "cpu(0)"})
        assert out.dtype == np.dtype(dtype) and out.shape == shape
        np.testing.assert_array_equal(out, ref)
    for name in ["full", "_full"]:
        out = one(name, {"shape": shape, "dtype": dtype, "value": 3.0})
        assert out.dtype == np.dtype(dtype) and out.shape == shape
        np.testing.assert_array_equal(out, np.full(shape, 3.0).astype(dtype))


def test_defaults():
    out = one("zeros", {"shape": (2, 2)})
    assert out.dtype == np.float32
    out = one("full", {"shape": (1000, 100), "value": -2.5})
    assert out.dtype == np.float32 and np.all(out == -2.5)
    out = one("ones", {})
    assert out.shape == ()


@pytest.mark.parametrize("dtype", DTYPES)
def test_like(dtype):
    for shape in SHAPES:
        x = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
        check_op("zeros_like", [x], {}, lambda a: np.zeros_like(a))
        check_op("ones_like", [x], {}, lambda a: np.ones_like(a))
        out = check_op("full_like", [x], {"fill_value": 2}, lambda a: np.full_like(a, 2))
        assert out[0].dtype == np.dtype(dtype)
    out = run_op("full_like", [np.zeros((2, 3), dtype)], {"fill_value": 1.5, "dtype": "float64"})[0]
    assert out.dtype == np.float64 and np.all(out == 1.5)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "float16", "uint8", "int8"])
def test_arange(dtype):
    cases = [
        ({"start": 5}, np.arange(5)),
        ({"start": 2, "stop": 8, "step": 2}, np.arange(2, 8, 2)),
        ({"start": 1, "stop": 4, "step": 0.5}, np.arange(1, 4, 0.5)),
        ({"start": 10, "stop": 2, "step": -3}, np.arange(10, 2, -3)),
        ({"start": 3, "stop": 3}, np.arange(3, 3)),
        ({"start": 0, "stop": 4, "repeat": 3}, np.repeat(np.arange(4), 3)),
        ({"start": 0}, np.arange(0)),
    ]
    for attrs, ref in cases:
        if attrs.get("step") == 0.5 and np.dtype(dtype).kind in "iu":
            ref = np.ones(6)  # MXNet 1.9.1 truncates start and step to the integer dtype first
        for name in ["arange", "_arange"]:
            out = one(name, dict(attrs, dtype=dtype, infer_range=False))
            assert out.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(out, ref.astype(np.float64).astype(dtype))
    assert one("arange", {"start": 3}).dtype == np.float32


def test_arange_errors():
    expect_error("arange", [], {"start": 0, "stop": 5, "step": 0}, contains=("arange", "step"))
    expect_error("arange", [], {"start": 0, "stop": 5, "step": -1}, contains=("arange", "range"))
    expect_error("arange", [], {"stop": 5}, contains=("arange", "start"))
    expect_error("arange", [], {"start": 0, "repeat": 0}, contains=("arange", "repeat"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "float16"])
def test_linspace(dtype):
    for attrs, ref in [
        ({"start": 0, "stop": 1, "num": 5}, np.linspace(0, 1, 5)),
        ({"start": 2, "stop": -3, "num": 7, "endpoint": False}, np.linspace(2, -3, 7, endpoint=False)),
        ({"start": 1, "stop": 10, "num": 1}, np.linspace(1, 10, 1)),
        ({"start": 0, "stop": 1, "num": 0}, np.linspace(0, 1, 0)),
    ]:
        for name in ["linspace", "_linspace"]:
            out = one(name, dict(attrs, dtype=dtype))
            assert out.dtype == np.dtype(dtype)
            np.testing.assert_allclose(out.astype(np.float64), ref.astype(dtype).astype(np.float64),
                                       rtol=1e-6, atol=1e-6)
    expect_error("linspace", [], {"start": 0, "stop": 1, "num": -1}, contains=("linspace", "num"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_eye(dtype):
    for attrs, ref in [
        ({"N": 3}, np.eye(3)),
        ({"N": 3, "M": 5}, np.eye(3, 5)),
        ({"N": 4, "M": 3, "k": -1}, np.eye(4, 3, -1)),
        ({"N": 3, "k": 2}, np.eye(3, k=2)),
        ({"N": 3, "k": 7}, np.eye(3, k=7)),
        ({"N": 0}, np.eye(0)),
    ]:
        for name in ["eye", "_eye"]:
            out = one(name, dict(attrs, dtype=dtype))
            assert out.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(out, ref.astype(dtype))
    expect_error("eye", [], {"N": -1}, contains=("eye", "N"))


def test_creation_errors():
    expect_error("zeros", [], {"shape": (2, -1)}, contains=("zeros", "shape"))
    expect_error("ones", [], {"shape": (2,), "dtype": "float99"}, contains=("ones", "dtype"))
    expect_error("full", [], {"shape": (2,)}, contains=("full", "value"))
    expect_error("zeros", [np.zeros(2)], {"shape": (2,)}, contains=("zeros",))
    expect_error("full_like", [np.zeros(2)], {}, contains=("full_like", "fill_value"))
    expect_error("zeros", [], {"shape": (2,), "bogus": 1}, contains=("zeros", "bogus"))
