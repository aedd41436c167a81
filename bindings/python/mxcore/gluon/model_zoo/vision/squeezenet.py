"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016), MXNet 1.x Gluon layout.

A fire module is ``[squeeze conv+relu, HybridConcurrent[expand1x1 conv+relu,
expand3x3 conv+relu]]``; the classifier is conv(1x1)-relu-AvgPool2D(13)-flatten, so the
network expects 224x224 inputs like MXNet's.
"""
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ._common import check_no_pretrained

__all__ = ['SqueezeNet', 'squeezenet1_0', 'squeezenet1_1']


def _fire_conv(channels, kernel_size, padding=0):
    out = nn.HybridSequential(prefix='')
    out.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation('relu'))
    return out


def _fire(squeeze_channels, expand1x1_channels, expand3x3_channels):
    out = nn.HybridSequential(prefix='')
    out.add(_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix='')
    paths.add(_fire_conv(expand1x1_channels, 1), _fire_conv(expand3x3_channels, 3, 1))
    out.add(paths)
    return out


_FIRES = {'1.0': [(16, 64, 64), (16, 64, 64), (32, 128, 128), 'pool', (32, 128, 128),
                  (48, 192, 192), (48, 192, 192), (64, 256, 256), 'pool', (64, 256, 256)],
          '1.1': [(16, 64, 64), (16, 64, 64), 'pool', (32, 128, 128), (32, 128, 128), 'pool',
                  (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)]}


class SqueezeNet(HybridBlock):
    """SqueezeNet ``version`` '1.0' (7x7/96 stem) or '1.1' (3x3/64 stem, earlier pooling)."""

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        assert version in ('1.0', '1.1'), f'Unsupported SqueezeNet version {version}: 1.0 or 1.1 expected'
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if version == '1.0':
                self.features.add(nn.Conv2D(96, kernel_size=7, strides=2))
            else:
                self.features.add(nn.Conv2D(64, kernel_size=3, strides=2))
            self.features.add(nn.Activation('relu'),
                              nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True))
            for f in _FIRES[version]:
                self.features.add(nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)
                                  if f == 'pool' else _fire(*f))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation('relu'),
                            nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, **kwargs):
    """SqueezeNet ``version`` '1.0' or '1.1'."""
    return SqueezeNet(version, **check_no_pretrained(kwargs))


def squeezenet1_0(**kwargs):
    """SqueezeNet 1.0 (see get_squeezenet)."""
    return get_squeezenet('1.0', **kwargs)


def squeezenet1_1(**kwargs):
    """SqueezeNet 1.1 (see get_squeezenet)."""
    return get_squeezenet('1.1', **kwargs)
