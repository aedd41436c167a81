"""DenseNet 121/161/169/201 (Huang et al. 2016), MXNet 1.x Gluon layout.

Each dense layer is a ``HybridConcurrent`` of an ``Identity`` and the bn-relu-conv(1x1)-bn-relu-
conv(3x3) sequence, so its parameters sit under ``features.<stage>.<layer>.1.<i>``.
"""
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent, Identity
from ._common import check_no_pretrained

__all__ = ['DenseNet', 'densenet121', 'densenet161', 'densenet169', 'densenet201']


def _dense_layer(growth_rate, bn_size, dropout):
    body = nn.HybridSequential(prefix='')
    body.add(nn.BatchNorm(), nn.Activation('relu'),
             nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False),
             nn.BatchNorm(), nn.Activation('relu'),
             nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        body.add(nn.Dropout(dropout))
    layer = HybridConcurrent(axis=1, prefix='')
    layer.add(Identity(), body)
    return layer


def _dense_block(num_layers, bn_size, growth_rate, dropout, stage_index):
    block = nn.HybridSequential(prefix=f'stage{stage_index}_')
    with block.name_scope():
        for _ in range(num_layers):
            block.add(_dense_layer(growth_rate, bn_size, dropout))
    return block


def _transition(channels):
    out = nn.HybridSequential(prefix='')
    out.add(nn.BatchNorm(), nn.Activation('relu'),
            nn.Conv2D(channels, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """DenseNet with ``num_init_features`` stem channels, ``growth_rate`` and
    ``block_config`` (layers per dense block); transitions halve the channels."""

    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0,
                 classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'),
                              nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_dense_block(num_layers, bn_size, growth_rate, dropout, i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    num_features //= 2
                    self.features.add(_transition(num_features))
            self.features.add(nn.BatchNorm(), nn.Activation('relu'),
                              nn.AvgPool2D(pool_size=7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, **kwargs):
    """DenseNet with ``num_layers`` in 121, 161, 169, 201."""
    kwargs = check_no_pretrained(kwargs)
    num_init_features, growth_rate, block_config = densenet_spec[num_layers]
    return DenseNet(num_init_features, growth_rate, block_config, **kwargs)


def _variant(num_layers):
    def make(**kwargs):
        return get_densenet(num_layers, **kwargs)
    make.__name__ = make.__qualname__ = f'densenet{num_layers}'
    make.__doc__ = f'DenseNet-{num_layers} (see get_densenet).'
    return make


densenet121 = _variant(121)
densenet161 = _variant(161)
densenet169 = _variant(169)
densenet201 = _variant(201)
