"""mx.random: seeding plus the nd.random samplers."""
from __future__ import annotations

from .base import check_call, lib
from .ndarray.random import (bernoulli, exponential, gamma, generalized_negative_binomial,  # noqa
                             multinomial, negative_binomial, normal, poisson, randint, randn, shuffle, uniform)


def seed(seed_state: int, ctx="all") -> None:
    """Seed the global counter-based generator (every device)."""
    check_call(lib.mx_random_seed(int(seed_state) & 0xFFFFFFFFFFFFFFFF))
