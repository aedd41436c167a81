"""Contributed convolution layers (``gluon.contrib.cnn``), MXNet 1.x layout."""
from . import conv_layers
from .conv_layers import DeformableConvolution, ModulatedDeformableConvolution  # noqa: F401

__all__ = conv_layers.__all__
