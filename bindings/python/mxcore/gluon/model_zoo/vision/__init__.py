"""Vision architectures (random init; pretrained=True is refused: mxcore downloads nothing).

Provided: resnet v1/v2 (18, 34, 50, 101, 152), vgg (11, 13, 16, 19, +_bn), alexnet.
"""
from ... import nn

_RESNET = {18: ('basic', [2, 2, 2, 2], [64, 64, 128, 256, 512]),
           34: ('basic', [3, 4, 6, 3], [64, 64, 128, 256, 512]),
           50: ('bottle', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
           101: ('bottle', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
           152: ('bottle', [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}


class _Block(nn.HybridBlock):
    """Residual block; v2 = pre-activation. bottle = 1x1-3x3-1x1 with 4x expansion."""

    def __init__(self, kind, version, channels, stride, downsample, in_channels, **kw):
        super().__init__(**kw)
        self.v2 = version == 2
        mid = channels // 4 if kind == 'bottle' else channels
        convs = ([(mid, 1, stride, 0), (mid, 3, 1, 1), (channels, 1, 1, 0)]
                 if kind == 'bottle' else [(mid, 3, stride, 1), (channels, 3, 1, 1)])
        self.body = nn.HybridSequential(prefix='')
        for i, (c, k, s, p) in enumerate(convs):
            if self.v2:
                self.body.add(nn.BatchNorm(), nn.Activation('relu'))
            self.body.add(nn.Conv2D(c, k, s, p, use_bias=False))
            if not self.v2:
                self.body.add(nn.BatchNorm())
                if i < len(convs) - 1:
                    self.body.add(nn.Activation('relu'))
        self.downsample = None
        if downsample:
            self.downsample = nn.HybridSequential(prefix='')
            self.downsample.add(nn.Conv2D(channels, 1, stride, use_bias=False,
                                          in_channels=in_channels))
            if not self.v2:
                self.downsample.add(nn.BatchNorm())

    def hybrid_forward(self, F, x):
        res = self.downsample(x) if self.downsample is not None else x
        out = self.body(x) + res
        return out if self.v2 else F.Activation(out, act_type='relu')


class ResNet(nn.HybridBlock):
    def __init__(self, version, num_layers, classes=1000, thumbnail=False, **kw):
        super().__init__(**kw)
        kind, layers, channels = _RESNET[num_layers]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if version == 2:
                self.features.add(nn.BatchNorm(scale=False, center=False))
            if thumbnail:
                self.features.add(nn.Conv2D(channels[0], 3, 1, 1, use_bias=False))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.MaxPool2D(3, 2, 1))
            in_c = channels[0]
            for i, n in enumerate(layers):
                stage = nn.HybridSequential(prefix='stage%d_' % (i + 1))
                with stage.name_scope():
                    for j in range(n):
                        stride = 2 if (i > 0 and j == 0) else 1
                        stage.add(_Block(kind, version, channels[i + 1], stride,
                                         j == 0 and (stride != 1 or in_c != channels[i + 1]),
                                         in_c, prefix=''))
                        in_c = channels[i + 1]
                self.features.add(stage)
            if version == 2:
                self.features.add(nn.BatchNorm(), nn.Activation('relu'))
            self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_c)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class VGG(nn.HybridBlock):
    _CFG = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}

    def __init__(self, num_layers, classes=1000, batch_norm=False, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            for n, c in zip(self._CFG[num_layers], [64, 128, 256, 512, 512]):
                for _ in range(n):
                    self.features.add(nn.Conv2D(c, 3, padding=1))
                    if batch_norm:
                        self.features.add(nn.BatchNorm())
                    self.features.add(nn.Activation('relu'))
                self.features.add(nn.MaxPool2D(2, 2))
            self.features.add(nn.Dense(4096, activation='relu'), nn.Dropout(0.5),
                              nn.Dense(4096, activation='relu'), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class AlexNet(nn.HybridBlock):
    def __init__(self, classes=1000, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            for c, k, s, p, pool in [(64, 11, 4, 2, True), (192, 5, 1, 2, True),
                                     (384, 3, 1, 1, False), (256, 3, 1, 1, False),
                                     (256, 3, 1, 1, True)]:
                self.features.add(nn.Conv2D(c, k, s, p, activation='relu'))
                if pool:
                    self.features.add(nn.MaxPool2D(3, 2))
            self.features.add(nn.Flatten(), nn.Dense(4096, activation='relu'), nn.Dropout(0.5),
                              nn.Dense(4096, activation='relu'), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _no_pretrained(kw):
    if kw.pop('pretrained', False):
        raise ValueError('mxcore does not download pretrained weights; load a .params file '
                         'with load_parameters instead')
    kw.pop('ctx', None)
    kw.pop('root', None)
    return kw


_MODELS = {}
for _v in (1, 2):
    for _n in _RESNET:
        _name = 'resnet%d_v%d' % (_n, _v)
        _MODELS[_name] = (lambda v, n: lambda **kw: ResNet(v, n, **_no_pretrained(kw)))(_v, _n)
        globals()[_name] = _MODELS[_name]
for _n in VGG._CFG:
    _MODELS['vgg%d' % _n] = (lambda n: lambda **kw: VGG(n, **_no_pretrained(kw)))(_n)
    _MODELS['vgg%d_bn' % _n] = (lambda n: lambda **kw: VGG(n, batch_norm=True,
                                                           **_no_pretrained(kw)))(_n)
    globals()['vgg%d' % _n] = _MODELS['vgg%d' % _n]
    globals()['vgg%d_bn' % _n] = _MODELS['vgg%d_bn' % _n]
_MODELS['alexnet'] = lambda **kw: AlexNet(**_no_pretrained(kw))
alexnet = _MODELS['alexnet']


def get_model(name, **kwargs):
    name = name.lower()
    if name not in _MODELS:
        raise ValueError('Model %s is not supported by mxcore yet. Available: %s'
                         % (name, ', '.join(sorted(_MODELS))))
    return _MODELS[name](**kwargs)


from . import more as _more  # noqa: E402
from .more import DenseNet, Inception3, MobileNet, MobileNetV2, SqueezeNet  # noqa: E402,F401

_more.register(_MODELS, _no_pretrained)
for _name, _fn in list(_MODELS.items()):
    globals().setdefault(_name.replace('.', '_'), _fn)
