import numpy as np
import pytest


@pytest.fixture
def rs():
    return np.random.RandomState(42)
