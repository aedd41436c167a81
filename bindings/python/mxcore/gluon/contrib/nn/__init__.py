"""Contributed Gluon layers (``gluon.contrib.nn``), MXNet 1.x layout."""
from . import basic_layers, sparse_embedding
from .basic_layers import (Concurrent, HybridConcurrent, Identity, PixelShuffle1D,  # noqa: F401
                           PixelShuffle2D, PixelShuffle3D, SyncBatchNorm)
from .sparse_embedding import SparseEmbedding  # noqa: F401

__all__ = basic_layers.__all__ + sparse_embedding.__all__
