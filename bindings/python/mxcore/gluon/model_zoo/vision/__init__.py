"""Vision architectures of MXNet 1.x's Gluon model zoo, with MXNet's parameter structure
(``save_parameters`` files interchange with MXNet 1.9.1) and random initialization.

``pretrained=True`` is refused: mxcore downloads nothing. Build the model and load a
``.params`` file (for instance one written by MXNet) with ``net.load_parameters(path)``.

Models: ResNet V1/V2 (18, 34, 50, 101, 152), VGG 11/13/16/19 (+ ``_bn``), AlexNet,
DenseNet 121/161/169/201, SqueezeNet 1.0/1.1, Inception V3, MobileNet and MobileNetV2
(width 1.0, 0.75, 0.5, 0.25). ``get_model(name)`` builds one by its MXNet name.
"""
from .alexnet import *
from .densenet import *
from .inception import *
from .mobilenet import *
from .resnet import *
from .squeezenet import *
from .vgg import *

_models = {'resnet18_v1': resnet18_v1,
           'resnet34_v1': resnet34_v1,
           'resnet50_v1': resnet50_v1,
           'resnet101_v1': resnet101_v1,
           'resnet152_v1': resnet152_v1,
           'resnet18_v2': resnet18_v2,
           'resnet34_v2': resnet34_v2,
           'resnet50_v2': resnet50_v2,
           'resnet101_v2': resnet101_v2,
           'resnet152_v2': resnet152_v2,
           'vgg11': vgg11, 'vgg13': vgg13, 'vgg16': vgg16, 'vgg19': vgg19,
           'vgg11_bn': vgg11_bn, 'vgg13_bn': vgg13_bn,
           'vgg16_bn': vgg16_bn, 'vgg19_bn': vgg19_bn,
           'alexnet': alexnet,
           'densenet121': densenet121, 'densenet161': densenet161,
           'densenet169': densenet169, 'densenet201': densenet201,
           'squeezenet1.0': squeezenet1_0, 'squeezenet1.1': squeezenet1_1,
           'inceptionv3': inception_v3,
           'mobilenet1.0': mobilenet1_0, 'mobilenet0.75': mobilenet0_75,
           'mobilenet0.5': mobilenet0_5, 'mobilenet0.25': mobilenet0_25,
           'mobilenetv2_1.0': mobilenet_v2_1_0,
           'mobilenetv2_0.75': mobilenet_v2_0_75,
           'mobilenetv2_0.5': mobilenet_v2_0_5,
           'mobilenetv2_0.25': mobilenet_v2_0_25}


def get_model(name, **kwargs):
    """Build the model registered as ``name`` (e.g. 'resnet50_v1', 'squeezenet1.1',
    'mobilenetv2_0.25'); keyword arguments go to its constructor (``classes``, ...)."""
    name = name.lower()
    if name not in _models:
        options = '\n\t'.join(sorted(_models))
        raise ValueError(f'Model {name} is not supported. Available options are\n\t{options}')
    return _models[name](**kwargs)
