"""Contributed data utilities (``gluon.contrib.data``), MXNet 1.x layout: samplers."""
from . import sampler
from .sampler import IntervalSampler

__all__ = ['IntervalSampler', 'sampler']
