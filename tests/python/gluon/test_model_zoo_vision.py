"""gluon.model_zoo.vision builds MXNet 1.9.1's model structures: the same structural parameter
keys and shapes (so save_parameters files interchange with MXNet), class names, block
prefixes and parameter names, and the same outputs for the same weights.

The reference is tests/data/mxnet_ref/model_zoo_keys.json, written by MXNet with
tests/data/mxnet_ref/make_model_zoo_ref.py (see there for its contents).
"""
import hashlib
import json
import os
import sys

import mxcore as mx
import numpy as np
import pytest
from mxcore import nd
from mxcore.gluon.model_zoo import vision

REF_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'mxnet_ref')
with open(os.path.join(REF_DIR, 'model_zoo_keys.json')) as _f:
    REF = json.load(_f)
MODELS = REF['models']
CLASSES = REF['classes']
sys.path.insert(0, REF_DIR)
from regen import regen_params

# dir(mxnet.gluon.model_zoo.vision) in MXNet 1.9.1, dunder names left out
MXNET_EXPORTS = {
    'AlexNet', 'BasicBlockV1', 'BasicBlockV2', 'BottleneckV1', 'BottleneckV2', 'DenseNet',
    'Inception3', 'MobileNet', 'MobileNetV2', 'ResNetV1', 'ResNetV2', 'SqueezeNet', 'VGG',
    'alexnet', 'densenet', 'densenet121', 'densenet161', 'densenet169', 'densenet201',
    'get_mobilenet', 'get_mobilenet_v2', 'get_model', 'get_resnet', 'get_vgg', 'inception',
    'inception_v3', 'mobilenet', 'mobilenet0_25', 'mobilenet0_5', 'mobilenet0_75',
    'mobilenet1_0', 'mobilenet_v2_0_25', 'mobilenet_v2_0_5', 'mobilenet_v2_0_75',
    'mobilenet_v2_1_0', 'resnet', 'resnet101_v1', 'resnet101_v2', 'resnet152_v1',
    'resnet152_v2', 'resnet18_v1', 'resnet18_v2', 'resnet34_v1', 'resnet34_v2', 'resnet50_v1',
    'resnet50_v2', 'squeezenet', 'squeezenet1_0', 'squeezenet1_1', 'vgg', 'vgg11', 'vgg11_bn',
    'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn'}


def _size(name):
    return 299 if name.startswith('inception') else 224


def _build(name):
    """The model with classes=CLASSES and every parameter's shape known: VGG/AlexNet (few
    layers, large convolutions) infer shapes symbolically, the deep models run one forward
    (cheaper than symbolic inference over their ~1000-node graphs)."""
    net = vision.get_model(name, classes=CLASSES)
    net.initialize()
    if name.startswith(('vgg', 'alexnet')):
        sym = net(mx.sym.var('data'))
        arg, _, aux = sym.infer_shape(data=(1, 3, _size(name), _size(name)))
        shapes = dict(zip(sym.list_arguments(), arg))
        shapes.update(zip(sym.list_auxiliary_states(), aux))
    else:
        net(nd.zeros((1, 3, _size(name), _size(name))))
        shapes = {p.name: tuple(p.shape) for p in net.collect_params().values()}
    return net, shapes


def _listing(net, shapes):
    params = net._collect_params_with_prefix()
    lines = ['{} {}'.format(k, ','.join(map(str, shapes[p.name]))) for k, p in sorted(params.items())]
    by_id = {id(p): k for k, p in params.items()}
    assert all(p.name.startswith(net.prefix) for p in net.collect_params().values())
    prefixed = sorted(f'{by_id[id(p)]} {p.name[len(net.prefix):]}'
                      for p in net.collect_params().values())
    return lines, prefixed


def _sha1(lines):
    return hashlib.sha1('\n'.join(lines).encode()).hexdigest()


def test_reference_lists_every_model():
    assert sorted(MODELS) == sorted(vision._models)


def test_module_exports_match_mxnet():
    public = {n for n in dir(vision) if not n.startswith('_')}
    assert public == MXNET_EXPORTS
    for n in ['get_model', 'get_resnet', 'get_vgg', 'get_mobilenet', 'get_mobilenet_v2']:
        assert callable(getattr(vision, n))
    assert vision.resnet.BottleneckV1 is vision.BottleneckV1
    assert vision.mobilenet.LinearBottleneck.__name__ == 'LinearBottleneck'
    assert vision.mobilenet.RELU6.__name__ == 'RELU6'


@pytest.mark.parametrize('name', sorted(MODELS))
def test_structure_matches_mxnet(name):
    ref = MODELS[name]
    net, shapes = _build(name)
    assert type(net).__name__ == ref['class']
    assert net.name.startswith(ref['alias']) and net.name[len(ref['alias']):].isdigit(), net.name
    lines, prefixed = _listing(net, shapes)
    if 'params' in ref:
        assert lines == ref['params']
        assert prefixed == ref['prefixed']
    assert len(lines) == ref['count'], (len(lines), ref['count'])
    size = sum(int(np.prod(shapes[p.name])) for p in net._collect_params_with_prefix().values())
    assert size == ref['size']
    assert _sha1(lines) == ref['sha1'], 'structural keys/shapes differ from MXNet ' \
        '(make_model_zoo_ref.py --dump DIR lists MXNet\'s)'
    assert _sha1(prefixed) == ref['prefixed_sha1'], 'prefixed parameter names differ from MXNet'


@pytest.mark.parametrize('name', sorted(n for n in MODELS if 'output' in MODELS[n]))
def test_output_matches_mxnet(name, tmp_path):
    """Deterministic weights (regen_params over the MXNet keys/shapes) go through a
    save_parameters file into the model; the output equals MXNet's for the same input."""
    ref = MODELS[name]
    net, shapes = _build(name)
    params = net._collect_params_with_prefix()
    weights = regen_params([(k, shapes[p.name]) for k, p in params.items()])
    f = str(tmp_path / 'w.params')
    nd.save(f, {k: nd.array(v) for k, v in weights.items()})
    fresh = vision.get_model(name, classes=CLASSES)
    fresh.load_parameters(f)
    x = np.random.RandomState(1).uniform(0, 1, (1, 3, 224, 224)).astype(np.float32)
    want = np.array(ref['output'], dtype=np.float32).reshape(1, CLASSES)
    got = fresh(nd.array(x)).asnumpy()
    scale = np.abs(want).max()
    assert scale > 0
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale)
    fresh.hybridize()
    np.testing.assert_allclose(fresh(nd.array(x)).asnumpy(), want, rtol=1e-4, atol=1e-4 * scale)


def test_save_load_round_trip(tmp_path):
    net = vision.resnet18_v2(classes=5, thumbnail=True)
    net.initialize(mx.init.Xavier())
    x = nd.random.uniform(shape=(1, 3, 16, 16))
    y = net(x).asnumpy()
    f = str(tmp_path / 'r.params')
    net.save_parameters(f)
    assert 'features.5.0.bn1.gamma' in nd.load(f)
    back = vision.get_model('resnet18_v2', classes=5, thumbnail=True)
    back.load_parameters(f)
    np.testing.assert_allclose(back(x).asnumpy(), y, rtol=1e-6)


def test_pretrained_refused_and_unknown_name():
    with pytest.raises(ValueError, match='pretrained'):
        vision.resnet18_v1(pretrained=True)
    with pytest.raises(ValueError, match='pretrained'):
        vision.get_model('squeezenet1.1', pretrained=True)
    with pytest.raises(ValueError, match='Available'):
        vision.get_model('resnet19_v1')
    # MXNet's download arguments are accepted (and unused) without pretrained=True
    assert isinstance(vision.get_model('alexnet', ctx=mx.cpu(), root='/nonexistent'),
                      vision.AlexNet)
