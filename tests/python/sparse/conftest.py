import numpy as np
import pytest


def rand_dense(rs, shape, density, dtype, empty_rows=()):
    d = rs.uniform(-1, 1, size=shape).astype(dtype)
    d[rs.rand(*shape) > density] = 0
    for r in empty_rows:
        d[r] = 0
    return d


@pytest.fixture
def rs():
    return np.random.RandomState(42)
