"""Writes model_zoo_keys.json: for every model of MXNet 1.9.1's gluon.model_zoo.vision
(built with classes=10), the class name, the block name without its counter (``resnetv1`` for ``resnetv10``), and the structural
parameter keys with their shapes (the names ``save_parameters`` writes) as a count, a total
size and a sha1 of the sorted "key d0,d1,..." lines; for a few small models also the lines
themselves, the sorted "key name" lines of ``collect_params()`` (names without the net's
own prefix), and the output on
deterministic weights and input.

Run with MXNet 1.9.1 (not mxcore):  /tmp/mxvenv/bin/python make_model_zoo_ref.py [--dump DIR]
(--dump also writes every model's full listing to DIR/<model>.txt, to debug a mismatch).

Weights for the output check come from regen.regen_params (numpy RandomState(0) in sorted
key order), the input from RandomState(1).uniform(0, 1, (1, 3, 224, 224)); the test rebuilds
both the same way, so no weight file is committed.
"""
import hashlib
import json
import os
import sys

import mxnet as mx
import numpy as np
from mxnet.gluon.model_zoo import vision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from regen import regen_params

MODELS = ['resnet18_v1', 'resnet34_v1', 'resnet50_v1', 'resnet101_v1', 'resnet152_v1',
          'resnet18_v2', 'resnet34_v2', 'resnet50_v2', 'resnet101_v2', 'resnet152_v2',
          'vgg11', 'vgg13', 'vgg16', 'vgg19', 'vgg11_bn', 'vgg13_bn', 'vgg16_bn', 'vgg19_bn',
          'alexnet', 'densenet121', 'densenet161', 'densenet169', 'densenet201',
          'squeezenet1.0', 'squeezenet1.1', 'inceptionv3',
          'mobilenet1.0', 'mobilenet0.75', 'mobilenet0.5', 'mobilenet0.25',
          'mobilenetv2_1.0', 'mobilenetv2_0.75', 'mobilenetv2_0.5', 'mobilenetv2_0.25']
LISTED = ['resnet18_v1', 'resnet18_v2', 'squeezenet1.1', 'mobilenetv2_0.25', 'alexnet']
OUTPUTS = ['resnet18_v1', 'mobilenetv2_0.25', 'squeezenet1.1']
CLASSES = 10


def input_size(name):
    return 299 if name.startswith('inception') else 224


def build(name, classes):
    net = vision.get_model(name, classes=classes)
    net.initialize()
    net(mx.nd.zeros((1, 3, input_size(name), input_size(name))))  # infer deferred shapes
    return net


def sha1(lines):
    return hashlib.sha1('\n'.join(lines).encode()).hexdigest()


def main():
    dump = sys.argv[sys.argv.index('--dump') + 1] if '--dump' in sys.argv else None
    out = {}
    for name in MODELS:
        mx.random.seed(0)
        net = build(name, CLASSES)
        params = net._collect_params_with_prefix()
        lines = ['{} {}'.format(k, ','.join(map(str, v.shape))) for k, v in sorted(params.items())]
        by_id = {id(p): k for k, p in params.items()}
        assert all(p.name.startswith(net.prefix) for p in net.collect_params().values())
        # prefixed names relative to the net's own prefix (whose counter depends on how many
        # nets of that class the process built before)
        prefixed = sorted(f'{by_id[id(p)]} {p.name[len(net.prefix):]}'
                          for p in net.collect_params().values())
        alias = net.name[:len(type(net).__name__)]
        assert net.name[len(alias):].isdigit(), net.name
        entry = {'class': type(net).__name__, 'alias': alias,
                 'count': len(lines),
                 'size': int(sum(np.prod(v.shape) for v in params.values())),
                 'sha1': sha1(lines), 'prefixed_sha1': sha1(prefixed)}
        if name in LISTED:
            entry['params'] = lines
            entry['prefixed'] = prefixed
        if dump:
            with open(os.path.join(dump, name + '.txt'), 'w') as f:
                f.write('\n'.join(lines + [''] + prefixed) + '\n')
        if name in OUTPUTS:
            w = regen_params([(k, v.shape) for k, v in params.items()])
            for k, p in params.items():
                p.set_data(mx.nd.array(w[k]))
            x = np.random.RandomState(1).uniform(0, 1, (1, 3, 224, 224)).astype(np.float32)
            entry['output'] = [float(f'{v:.7g}') for v in net(mx.nd.array(x)).asnumpy().ravel()]
        out[name] = entry
        print(name, entry['count'], entry['size'], flush=True)
    with open(os.path.join(HERE, 'model_zoo_keys.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'classes': CLASSES, 'models': out}, f, indent=0)
        f.write('\n')


if __name__ == '__main__':
    main()
