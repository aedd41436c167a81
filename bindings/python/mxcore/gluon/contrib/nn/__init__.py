"""Contributed Gluon layers (``gluon.contrib.nn``), MXNet 1.x layout."""
from . import basic_layers
from .basic_layers import (Concurrent, HybridConcurrent, Identity, PixelShuffle1D,  # noqa: F401
                           PixelShuffle2D, PixelShuffle3D, SyncBatchNorm)

__all__ = basic_layers.__all__
