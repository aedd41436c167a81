"""DenseNet, SqueezeNet, MobileNet v1/v2 and Inception v3 (MXNet 1.x Gluon layouts, random init)."""
from ... import nn


def _conv_bn(out, channels, kernel, stride=1, pad=0, groups=1, relu6=False, act=True):
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=groups, use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if act:
        out.add(nn.HybridLambda(lambda F, x: F.clip(x, a_min=0, a_max=6)) if relu6 else nn.Activation('relu'))


# ---- DenseNet -----------------------------------------------------------------------
class _DenseLayer(nn.HybridBlock):
    def __init__(self, growth, bn_size, dropout, **kw):
        super().__init__(**kw)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.BatchNorm(), nn.Activation('relu'), nn.Conv2D(bn_size * growth, 1, use_bias=False),
                      nn.BatchNorm(), nn.Activation('relu'), nn.Conv2D(growth, 3, padding=1, use_bias=False))
        if dropout:
            self.body.add(nn.Dropout(dropout))

    def hybrid_forward(self, F, x):
        return F.concat(x, self.body(x), dim=1)


class DenseNet(nn.HybridBlock):
    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0, classes=1000, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(num_init_features, 7, 2, 3, use_bias=False), nn.BatchNorm(),
                              nn.Activation('relu'), nn.MaxPool2D(3, 2, 1))
            nf = num_init_features
            for i, n in enumerate(block_config):
                stage = nn.HybridSequential(prefix='stage%d_' % (i + 1))
                with stage.name_scope():
                    for _ in range(n):
                        stage.add(_DenseLayer(growth_rate, bn_size, dropout, prefix=''))
                self.features.add(stage)
                nf += n * growth_rate
                if i != len(block_config) - 1:
                    nf //= 2
                    self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.Conv2D(nf, 1, use_bias=False),
                                      nn.AvgPool2D(2, 2))
            self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.AvgPool2D(7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


_DENSENET = {121: (64, 32, [6, 12, 24, 16]), 161: (96, 48, [6, 12, 36, 24]),
             169: (64, 32, [6, 12, 32, 32]), 201: (64, 32, [6, 12, 48, 32])}


# ---- SqueezeNet -----------------------------------------------------------------------
class _Fire(nn.HybridBlock):
    def __init__(self, squeeze, e1, e3, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.squeeze = nn.Conv2D(squeeze, 1, activation='relu')
            self.left = nn.Conv2D(e1, 1, activation='relu')
            self.right = nn.Conv2D(e3, 3, padding=1, activation='relu')

    def hybrid_forward(self, F, x):
        s = self.squeeze(x)
        return F.concat(self.left(s), self.right(s), dim=1)


class SqueezeNet(nn.HybridBlock):
    def __init__(self, version, classes=1000, **kw):
        super().__init__(**kw)
        assert version in ('1.0', '1.1'), 'Unsupported SqueezeNet version %s' % version
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if version == '1.0':
                self.features.add(nn.Conv2D(96, 7, 2, activation='relu'), nn.MaxPool2D(3, 2, ceil_mode=True))
                fires = [(16, 64, 64), (16, 64, 64), (32, 128, 128), 'pool', (32, 128, 128), (48, 192, 192),
                         (48, 192, 192), (64, 256, 256), 'pool', (64, 256, 256)]
            else:
                self.features.add(nn.Conv2D(64, 3, 2, activation='relu'), nn.MaxPool2D(3, 2, ceil_mode=True))
                fires = [(16, 64, 64), (16, 64, 64), 'pool', (32, 128, 128), (32, 128, 128), 'pool',
                         (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)]
            for f in fires:
                self.features.add(nn.MaxPool2D(3, 2, ceil_mode=True) if f == 'pool' else _Fire(*f))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, 1, activation='relu'), nn.GlobalAvgPool2D(), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# ---- MobileNet v1 / v2 ---------------------------------------------------------------
class MobileNet(nn.HybridBlock):
    def __init__(self, multiplier=1.0, classes=1000, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                _conv_bn(self.features, int(32 * multiplier), 3, 2, 1)
                dw = [int(x * multiplier) for x in [32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024]]
                ch = [int(x * multiplier) for x in [64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2]
                st = [1, 2] * 3 + [1] * 5 + [2, 1]
                for d, c, s in zip(dw, ch, st):
                    _conv_bn(self.features, d, 3, s, 1, groups=d)
                    _conv_bn(self.features, c, 1)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class _LinearBottleneck(nn.HybridBlock):
    def __init__(self, in_channels, channels, t, stride, **kw):
        super().__init__(**kw)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            _conv_bn(self.out, in_channels * t, 1, relu6=True)
            _conv_bn(self.out, in_channels * t, 3, stride, 1, groups=in_channels * t, relu6=True)
            _conv_bn(self.out, channels, 1, act=False)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return out + x if self.use_shortcut else out


class MobileNetV2(nn.HybridBlock):
    def __init__(self, multiplier=1.0, classes=1000, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='features_')
            with self.features.name_scope():
                _conv_bn(self.features, int(32 * multiplier), 3, 2, 1, relu6=True)
                in_c = [int(multiplier * x) for x in [32, 16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96,
                                                      160, 160, 160]]
                ch = [int(multiplier * x) for x in [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160,
                                                    160, 160, 320]]
                ts = [1] + [6] * 16
                st = [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]
                for i, c, t, s in zip(in_c, ch, ts, st):
                    self.features.add(_LinearBottleneck(i, c, t, s))
                last = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _conv_bn(self.features, last, 1, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix='output_')
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix='pred_'), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# ---- Inception v3 -----------------------------------------------------------------------
def _basic(channels, kernel, stride=1, pad=0):
    out = nn.HybridSequential(prefix='')
    out.add(nn.Conv2D(channels, kernel, stride, pad, use_bias=False), nn.BatchNorm(epsilon=0.001),
            nn.Activation('relu'))
    return out


class _Branches(nn.HybridBlock):
    """Parallel branches concatenated on channels."""

    def __init__(self, branches, **kw):
        super().__init__(**kw)
        with self.name_scope():
            for i, layers in enumerate(branches):
                seq = nn.HybridSequential(prefix='')
                for layer in layers:
                    seq.add(layer)
                setattr(self, 'b%d' % i, seq)
        self._n = len(branches)

    def hybrid_forward(self, F, x):
        return F.concat(*[getattr(self, 'b%d' % i)(x) for i in range(self._n)], dim=1)


def _pool(kind):
    return nn.AvgPool2D(3, 1, 1) if kind == 'avg' else nn.MaxPool2D(3, 2)


def _inc_a(pool_features, prefix):
    return _Branches([[_basic(64, 1)], [_basic(48, 1), _basic(64, 5, pad=2)],
                      [_basic(64, 1), _basic(96, 3, pad=1), _basic(96, 3, pad=1)],
                      [_pool('avg'), _basic(pool_features, 1)]], prefix=prefix)


def _inc_b(prefix):
    return _Branches([[_basic(384, 3, 2)], [_basic(64, 1), _basic(96, 3, pad=1), _basic(96, 3, 2)],
                      [_pool('max')]], prefix=prefix)


def _inc_c(c7, prefix):
    return _Branches([[_basic(192, 1)],
                      [_basic(c7, 1), _basic(c7, (1, 7), pad=(0, 3)), _basic(192, (7, 1), pad=(3, 0))],
                      [_basic(c7, 1), _basic(c7, (7, 1), pad=(3, 0)), _basic(c7, (1, 7), pad=(0, 3)),
                       _basic(c7, (7, 1), pad=(3, 0)), _basic(192, (1, 7), pad=(0, 3))],
                      [_pool('avg'), _basic(192, 1)]], prefix=prefix)


def _inc_d(prefix):
    return _Branches([[_basic(192, 1), _basic(320, 3, 2)],
                      [_basic(192, 1), _basic(192, (1, 7), pad=(0, 3)), _basic(192, (7, 1), pad=(3, 0)),
                       _basic(192, 3, 2)], [_pool('max')]], prefix=prefix)


class _IncE(nn.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.b0 = _basic(320, 1)
            self.b1 = _basic(384, 1)
            self.b1a = _basic(384, (1, 3), pad=(0, 1))
            self.b1b = _basic(384, (3, 1), pad=(1, 0))
            self.b2 = nn.HybridSequential(prefix='')
            self.b2.add(_basic(448, 1), _basic(384, 3, pad=1))
            self.b2a = _basic(384, (1, 3), pad=(0, 1))
            self.b2b = _basic(384, (3, 1), pad=(1, 0))
            self.b3 = nn.HybridSequential(prefix='')
            self.b3.add(_pool('avg'), _basic(192, 1))

    def hybrid_forward(self, F, x):
        b1 = self.b1(x)
        b2 = self.b2(x)
        return F.concat(self.b0(x), self.b1a(b1), self.b1b(b1), self.b2a(b2), self.b2b(b2), self.b3(x), dim=1)


class Inception3(nn.HybridBlock):
    def __init__(self, classes=1000, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(_basic(32, 3, 2), _basic(32, 3), _basic(64, 3, pad=1), nn.MaxPool2D(3, 2),
                              _basic(80, 1), _basic(192, 3), nn.MaxPool2D(3, 2))
            self.features.add(_inc_a(32, 'A1_'), _inc_a(64, 'A2_'), _inc_a(64, 'A3_'), _inc_b('B_'))
            self.features.add(_inc_c(128, 'C1_'), _inc_c(160, 'C2_'), _inc_c(160, 'C3_'), _inc_c(192, 'C4_'))
            self.features.add(_inc_d('D_'), _IncE(prefix='E1_'), _IncE(prefix='E2_'))
            self.features.add(nn.AvgPool2D(8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def register(models: dict, no_pretrained) -> None:
    for n, cfg in _DENSENET.items():
        models['densenet%d' % n] = (lambda c: lambda **kw: DenseNet(*c, **no_pretrained(kw)))(cfg)
    models['squeezenet1.0'] = lambda **kw: SqueezeNet('1.0', **no_pretrained(kw))
    models['squeezenet1.1'] = lambda **kw: SqueezeNet('1.1', **no_pretrained(kw))
    for m, s in [(1.0, '1.0'), (0.75, '0.75'), (0.5, '0.5'), (0.25, '0.25')]:
        models['mobilenet' + s] = (lambda m: lambda **kw: MobileNet(m, **no_pretrained(kw)))(m)
        models['mobilenetv2_' + s] = (lambda m: lambda **kw: MobileNetV2(m, **no_pretrained(kw)))(m)
    models['inceptionv3'] = lambda **kw: Inception3(**no_pretrained(kw))
