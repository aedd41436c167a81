"""Gluon neural-network layers (``gluon.nn``)."""
from ..block import Block, HybridBlock, SymbolBlock  # noqa: F401
from .activations import ELU, GELU, PReLU, SELU, LeakyReLU, Swish  # noqa: F401
from .basic_layers import (Activation, BatchNorm, BatchNormReLU, Dense, Dropout, Embedding, Flatten,  # noqa: F401
                           GroupNorm, HybridLambda, HybridSequential, Identity,
                           InstanceNorm, Lambda, LayerNorm, Sequential)
from .conv_layers import (AvgPool1D, AvgPool2D, AvgPool3D, Conv1D, Conv1DTranspose,  # noqa: F401
                          Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, GlobalAvgPool1D,
                          GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D,
                          GlobalMaxPool3D, MaxPool1D, MaxPool2D, MaxPool3D, ReflectionPad2D)
