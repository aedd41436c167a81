"""ResNet V1 (He et al. 2015) and V2 (pre-activation, He et al. 2016), MXNet 1.x Gluon layout.

Parameter structure matches MXNet's model zoo: V1 blocks keep their layers in ``body`` (and a
``downsample`` sequence), V2 blocks hold ``bn1``/``conv1``/... as attributes and a single
``downsample`` convolution. BottleneckV1's two 1x1 convolutions carry a bias, as in MXNet.
"""
from ... import nn
from ...block import HybridBlock
from ._common import check_no_pretrained

__all__ = [
    'BasicBlockV1',
    'BasicBlockV2',
    'BottleneckV1',
    'BottleneckV2',
    'ResNetV1',
    'ResNetV2',
    'get_resnet',
    'resnet18_v1',
    'resnet18_v2',
    'resnet34_v1',
    'resnet34_v2',
    'resnet50_v1',
    'resnet50_v2',
    'resnet101_v1',
    'resnet101_v2',
    'resnet152_v1',
    'resnet152_v2',
]


def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _relu(F, x):
    return F.Activation(x, act_type='relu')


class BasicBlockV1(HybridBlock):
    """Two 3x3 convolutions with batch norm; ReLU after the residual sum (ResNet-18/34 V1)."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(_conv3x3(channels, stride, in_channels), nn.BatchNorm(),
                      nn.Activation('relu'), _conv3x3(channels, 1, channels), nn.BatchNorm())
        self.downsample = None
        if downsample:
            self.downsample = nn.HybridSequential(prefix='')
            self.downsample.add(nn.Conv2D(channels, kernel_size=1, strides=stride,
                                          use_bias=False, in_channels=in_channels),
                                nn.BatchNorm())

    def hybrid_forward(self, F, x):
        residual = self.downsample(x) if self.downsample is not None else x
        return _relu(F, residual + self.body(x))


class BottleneckV1(HybridBlock):
    """1x1 (stride, with bias) - 3x3 - 1x1 (with bias), 4x expansion (ResNet-50/101/152 V1)."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        mid = channels // 4
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.Conv2D(mid, kernel_size=1, strides=stride), nn.BatchNorm(),
                      nn.Activation('relu'), _conv3x3(mid, 1, mid), nn.BatchNorm(),
                      nn.Activation('relu'), nn.Conv2D(channels, kernel_size=1, strides=1),
                      nn.BatchNorm())
        self.downsample = None
        if downsample:
            self.downsample = nn.HybridSequential(prefix='')
            self.downsample.add(nn.Conv2D(channels, kernel_size=1, strides=stride,
                                          use_bias=False, in_channels=in_channels),
                                nn.BatchNorm())

    def hybrid_forward(self, F, x):
        residual = self.downsample(x) if self.downsample is not None else x
        return _relu(F, self.body(x) + residual)


class BasicBlockV2(HybridBlock):
    """Pre-activation basic block: bn1-relu-conv1-bn2-relu-conv2 (+ 1x1 downsample)."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = None
        if downsample:
            self.downsample = nn.Conv2D(channels, 1, stride, use_bias=False,
                                        in_channels=in_channels)

    def hybrid_forward(self, F, x):
        pre = _relu(F, self.bn1(x))
        residual = self.downsample(pre) if self.downsample is not None else x
        out = self.conv1(pre)
        out = self.conv2(_relu(F, self.bn2(out)))
        return out + residual


class BottleneckV2(HybridBlock):
    """Pre-activation bottleneck: 1x1 - 3x3 (stride) - 1x1, each after bn+relu."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        mid = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(mid, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(mid, stride, mid)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = None
        if downsample:
            self.downsample = nn.Conv2D(channels, 1, stride, use_bias=False,
                                        in_channels=in_channels)

    def hybrid_forward(self, F, x):
        pre = _relu(F, self.bn1(x))
        residual = self.downsample(pre) if self.downsample is not None else x
        out = self.conv1(pre)
        out = self.conv2(_relu(F, self.bn2(out)))
        out = self.conv3(_relu(F, self.bn3(out)))
        return out + residual


def _make_stage(block, num_blocks, channels, stride, index, in_channels):
    stage = nn.HybridSequential(prefix=f'stage{index}_')
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=''))
        for _ in range(num_blocks - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=''))
    return stage


class ResNetV1(HybridBlock):
    """ResNet V1. ``block`` is BasicBlockV1 or BottleneckV1; ``channels`` has one entry more
    than ``layers`` (the stem width first). ``thumbnail`` uses a 3x3 stem for small images."""

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False),
                                  nn.BatchNorm(), nn.Activation('relu'), nn.MaxPool2D(3, 2, 1))
            for i, n in enumerate(layers):
                self.features.add(_make_stage(block, n, channels[i + 1], 1 if i == 0 else 2,
                                              i + 1, channels[i]))
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV2(HybridBlock):
    """ResNet V2 (pre-activation); the input first goes through a BatchNorm without
    scale/center, and the features end with bn+relu before pooling."""

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.BatchNorm(scale=False, center=False))
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False),
                                  nn.BatchNorm(), nn.Activation('relu'), nn.MaxPool2D(3, 2, 1))
            in_channels = channels[0]
            for i, n in enumerate(layers):
                self.features.add(_make_stage(block, n, channels[i + 1], 1 if i == 0 else 2,
                                              i + 1, in_channels))
                in_channels = channels[i + 1]
            self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.GlobalAvgPool2D(),
                              nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_channels)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


resnet_spec = {18: ('basic_block', [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ('basic_block', [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ('bottle_neck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ('bottle_neck', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
               152: ('bottle_neck', [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [{'basic_block': BasicBlockV1, 'bottle_neck': BottleneckV1},
                         {'basic_block': BasicBlockV2, 'bottle_neck': BottleneckV2}]


def get_resnet(version, num_layers, **kwargs):
    """ResNet ``version`` (1 or 2) with ``num_layers`` in 18, 34, 50, 101, 152.
    ``pretrained=True`` is refused (no downloads)."""
    kwargs = check_no_pretrained(kwargs)
    assert num_layers in resnet_spec, (f'Invalid number of layers: {num_layers}. '
                                       f'Options are {list(resnet_spec)}')
    assert version in (1, 2), f'Invalid resnet version: {version}. Options are 1 and 2.'
    kind, layers, channels = resnet_spec[num_layers]
    block = resnet_block_versions[version - 1][kind]
    return resnet_net_versions[version - 1](block, layers, channels, **kwargs)


def _variant(version, num_layers):
    def make(**kwargs):
        return get_resnet(version, num_layers, **kwargs)
    make.__name__ = make.__qualname__ = f'resnet{num_layers}_v{version}'
    make.__doc__ = f'ResNet-{num_layers} V{version} (see get_resnet).'
    return make


resnet18_v1 = _variant(1, 18)
resnet34_v1 = _variant(1, 34)
resnet50_v1 = _variant(1, 50)
resnet101_v1 = _variant(1, 101)
resnet152_v1 = _variant(1, 152)
resnet18_v2 = _variant(2, 18)
resnet34_v2 = _variant(2, 34)
resnet50_v2 = _variant(2, 50)
resnet101_v2 = _variant(2, 101)
resnet152_v2 = _variant(2, 152)
