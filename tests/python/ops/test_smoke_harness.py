"""Sanity checks of the harness itself on the first ops."""
import numpy as np
from harness import check_grad, check_op, expect_error, public_ops


def test_manifest_lists_ops():
    names = {op["name"] for op in public_ops()}
    assert "elemwise_add" in names


def test_add_broadcast():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((1, 3)).astype(np.float32)
    check_op("broadcast_add", [a, b], {}, lambda a, b: a + b)
    check_grad("elemwise_mul", [a.astype(np.float64), a.astype(np.float64) * 2], {})


def test_shape_error_names_op():
    expect_error("elemwise_add", [np.zeros((2, 3), np.float32), np.zeros(4, np.float32)], {},
                 contains=("elemwise_add", "(2,3)", "(4,)"))
