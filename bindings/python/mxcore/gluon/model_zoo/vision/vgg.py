"""VGG 11/13/16/19 (Simonyan & Zisserman 2014), optionally with batch norm; MXNet 1.x layout.

All convolutions, (batch norms,) activations and poolings plus the first two dense layers and
their dropouts live in ``features``; ``output`` is the classifier.
"""
from ....initializer import Xavier
from ... import nn
from ...block import HybridBlock
from ._common import check_no_pretrained

__all__ = [
    'VGG',
    'get_vgg',
    'vgg11',
    'vgg11_bn',
    'vgg13',
    'vgg13_bn',
    'vgg16',
    'vgg16_bn',
    'vgg19',
    'vgg19_bn',
]


class VGG(HybridBlock):
    """``layers[i]`` 3x3 convolutions of ``filters[i]`` channels, then a 2x2 max pool, per
    stage; then two 4096-unit dense layers with dropout and the classifier."""

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(filters)
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation='relu', weight_initializer='normal',
                                           bias_initializer='zeros'),
                                  nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer='normal',
                                   bias_initializer='zeros')

    @staticmethod
    def _make_features(layers, filters, batch_norm):
        seq = nn.HybridSequential(prefix='')
        for n, c in zip(layers, filters):
            for _ in range(n):
                seq.add(nn.Conv2D(c, kernel_size=3, padding=1,
                                  weight_initializer=Xavier(rnd_type='gaussian',
                                                            factor_type='out', magnitude=2),
                                  bias_initializer='zeros'))
                if batch_norm:
                    seq.add(nn.BatchNorm())
                seq.add(nn.Activation('relu'))
            seq.add(nn.MaxPool2D(strides=2))
        return seq

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers, **kwargs):
    """VGG with ``num_layers`` in 11, 13, 16, 19; ``batch_norm=True`` adds batch norms."""
    kwargs = check_no_pretrained(kwargs)
    layers, filters = vgg_spec[num_layers]
    return VGG(layers, filters, **kwargs)


def _variant(num_layers, batch_norm):
    def make(**kwargs):
        if batch_norm:
            kwargs['batch_norm'] = True
        return get_vgg(num_layers, **kwargs)
    make.__name__ = make.__qualname__ = f"vgg{num_layers}{'_bn' if batch_norm else ''}"
    make.__doc__ = f"VGG-{num_layers}{' with batch norm' if batch_norm else ''} (see get_vgg)."
    return make


vgg11 = _variant(11, False)
vgg13 = _variant(13, False)
vgg16 = _variant(16, False)
vgg19 = _variant(19, False)
vgg11_bn = _variant(11, True)
vgg13_bn = _variant(13, True)
vgg16_bn = _variant(16, True)
vgg19_bn = _variant(19, True)
