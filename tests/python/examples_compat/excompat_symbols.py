"""Small models built with the symbol API the way MXNet's
example/image-classification/symbols/*.py build theirs (mlp, lenet, alexnet, vgg,
googlenet, inception-bn, inception-v3, inception-resnet-v2, resnet, resnext,
mobilenet, mobilenetv2, densenet, pvanet): the same ops, attributes, naming and
idioms (auto-named nodes, ``_set_attr(mirror_stage=...)``, ``attr={}``, Variables
with ``shape=(1)``/``init=``, ``scale * out`` residuals), at tiny widths.

Every function takes the framework module (``mxcore`` in the tests, ``mxnet`` in
tests/data/mxnet_ref/make_refs_examples.py), so both build the same graphs."""

import hashlib
import json

import numpy as np


def conv_bn_act(
    mx, x, nf, k, name, stride=(1, 1), pad=(0, 0), act="relu", attr=None, fix_gamma=False, no_bias=True, group=1
):
    c = mx.sym.Convolution(
        data=x,
        num_filter=nf,
        kernel=k,
        stride=stride,
        pad=pad,
        no_bias=no_bias,
        num_group=group,
        workspace=256,
        name="%s_conv2d" % name,
    )
    b = mx.sym.BatchNorm(data=c, fix_gamma=fix_gamma, eps=2e-5, momentum=0.9, name="%s_batchnorm" % name)
    if act is None:
        return b
    return mx.sym.Activation(data=b, act_type=act, name="%s_relu" % name, attr=attr or {})


def pooled_head(mx, x):
    """resnet/resnext/densenet's classifier: global average pool (with the kernel the
    examples pass anyway), an auto-named Flatten, fc1, SoftmaxOutput."""
    x = mx.sym.Pooling(data=x, global_pool=True, kernel=(7, 7), pool_type="avg", name="pool1")
    x = mx.sym.Flatten(data=x)
    x = mx.sym.FullyConnected(data=x, num_hidden=5, name="fc1")
    return mx.sym.SoftmaxOutput(data=x, name="softmax")


def mlp(mx, drop=0.5):
    d = mx.sym.Variable("data")
    d = mx.sym.Flatten(data=d)
    h = mx.sym.FullyConnected(data=d, name="fc1", num_hidden=16)
    h = mx.sym.Activation(data=h, name="relu1", act_type="relu")
    h = mx.sym.FullyConnected(data=h, name="fc2", num_hidden=12)
    h = mx.sym.Activation(data=h, name="relu2", act_type="relu")
    h = mx.sym.FullyConnected(data=h, name="fc3", num_hidden=5)
    return mx.sym.SoftmaxOutput(data=h, name="softmax"), (1, 8, 8)


def lenet(mx, drop=0.5):
    d = mx.sym.Variable("data")
    c = mx.sym.Convolution(data=d, kernel=(5, 5), num_filter=6)
    a = mx.sym.Activation(data=c, act_type="tanh")
    p = mx.sym.Pooling(data=a, pool_type="max", kernel=(2, 2), stride=(2, 2))
    c = mx.sym.Convolution(data=p, kernel=(3, 3), num_filter=8)
    a = mx.sym.Activation(data=c, act_type="tanh")
    p = mx.sym.Pooling(data=a, pool_type="max", kernel=(2, 2), stride=(2, 2))
    f = mx.sym.flatten(data=p)
    h = mx.sym.FullyConnected(data=f, num_hidden=20)
    h = mx.sym.Activation(data=h, act_type="tanh")
    h = mx.sym.FullyConnected(data=h, num_hidden=5)
    return mx.sym.SoftmaxOutput(data=h, name="softmax"), (1, 16, 16)


def alexnet(mx, drop=0.5):
    d = mx.sym.Variable(name="data")
    c = mx.sym.Convolution(name="conv1", data=d, kernel=(5, 5), stride=(2, 2), num_filter=8)
    r = mx.sym.Activation(data=c, act_type="relu")
    n = mx.sym.LRN(data=r, alpha=0.0001, beta=0.75, knorm=2, nsize=5)
    p = mx.sym.Pooling(data=n, kernel=(3, 3), stride=(2, 2), pool_type="max")
    c = mx.sym.Convolution(name="conv2", data=p, kernel=(3, 3), pad=(1, 1), num_filter=12)
    r = mx.sym.Activation(data=c, act_type="relu")
    n = mx.sym.LRN(data=r, alpha=0.0001, beta=0.75, knorm=2, nsize=5)
    p = mx.sym.Pooling(data=n, kernel=(3, 3), stride=(2, 2), pool_type="max")
    f = mx.sym.flatten(data=p)
    h = mx.sym.FullyConnected(name="fc1", data=f, num_hidden=24)
    h = mx.sym.Activation(data=h, act_type="relu")
    h = mx.sym.Dropout(data=h, p=drop)
    h = mx.sym.FullyConnected(name="fc3", data=h, num_hidden=5)
    return mx.sym.SoftmaxOutput(data=h, name="softmax"), (3, 24, 24)


def vgg(mx, drop=0.5, batch_norm=True):
    x = mx.sym.Variable(name="data")
    for i, (n, nf) in enumerate([(1, 4), (2, 8)]):
        for j in range(n):
            x = mx.sym.Convolution(data=x, kernel=(3, 3), pad=(1, 1), num_filter=nf, name="conv%s_%s" % (i + 1, j + 1))
            if batch_norm:
                x = mx.sym.BatchNorm(data=x, name="bn%s_%s" % (i + 1, j + 1))
            x = mx.sym.Activation(data=x, act_type="relu", name="relu%s_%s" % (i + 1, j + 1))
        x = mx.sym.Pooling(data=x, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool%s" % (i + 1))
    x = mx.sym.Flatten(data=x, name="flatten")
    x = mx.sym.FullyConnected(data=x, num_hidden=16, name="fc6")
    x = mx.sym.Activation(data=x, act_type="relu", name="relu6")
    x = mx.sym.Dropout(data=x, p=drop, name="drop6")
    x = mx.sym.FullyConnected(data=x, num_hidden=5, name="fc8")
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 12, 12)


def googlenet(mx, drop=0.5):
    def cf(x, nf, k, stride=(1, 1), pad=(0, 0), name=None, suffix=""):
        c = mx.sym.Convolution(
            data=x, num_filter=nf, kernel=k, stride=stride, pad=pad, name="conv_%s%s" % (name, suffix)
        )
        return mx.sym.Activation(data=c, act_type="relu", name="relu_%s%s" % (name, suffix))

    def inc(x, n1, n3r, n3, n5r, n5, pool, proj, name):
        a = cf(x, n1, (1, 1), name="%s_1x1" % name)
        b = cf(cf(x, n3r, (1, 1), name="%s_3x3" % name, suffix="_reduce"), n3, (3, 3), pad=(1, 1), name="%s_3x3" % name)
        c = cf(cf(x, n5r, (1, 1), name="%s_5x5" % name, suffix="_reduce"), n5, (5, 5), pad=(2, 2), name="%s_5x5" % name)
        p = mx.sym.Pooling(
            data=x, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type=pool, name="%s_pool_%s_pool" % (pool, name)
        )
        return mx.sym.Concat(
            *[a, b, c, cf(p, proj, (1, 1), name="%s_proj" % name)], name="ch_concat_%s_chconcat" % name
        )

    d = mx.sym.Variable("data")
    x = cf(d, 8, (5, 5), stride=(2, 2), pad=(2, 2), name="conv1")
    x = mx.sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pool_type="max")
    x = inc(x, 4, 4, 6, 2, 3, "max", 3, "in3a")
    x = inc(x, 5, 4, 6, 2, 3, "avg", 3, "in3b")
    x = mx.sym.Pooling(x, kernel=(3, 3), stride=(1, 1), global_pool=True, pool_type="avg")
    x = mx.sym.Flatten(data=x)
    x = mx.sym.FullyConnected(data=x, num_hidden=5)
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 16, 16)


def inception_bn(mx, drop=0.5):
    d = mx.sym.Variable(name="data")

    def simple(x, c1, c3, name, attr):
        a = conv_bn_act(mx, x, c1, (1, 1), name + "_1x1", attr=attr)
        b = conv_bn_act(mx, x, c3, (3, 3), name + "_3x3", pad=(1, 1), attr=attr)
        return mx.sym.Concat(*[a, b], name=name + "_ch_concat")

    def down(x, c3, name, attr):
        a = conv_bn_act(mx, x, c3, (3, 3), name + "_conv", stride=(2, 2), pad=(1, 1), attr=attr)
        p = mx.sym.Pooling(
            data=x, name=name + "_pool", kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max", attr=attr
        )
        return mx.sym.Concat(*[a, p], name=name + "_ch_concat")

    x = conv_bn_act(mx, d, 8, (3, 3), "1", pad=(1, 1), attr={})
    x = simple(x, 4, 4, "in3a", {})
    x = down(x, 6, "in3c", {})
    x = simple(x, 5, 3, "in4a", {})
    x = mx.sym.Pooling(data=x, pool_type="avg", kernel=(5, 5), name="global_pool", attr={})
    x = mx.sym.Flatten(data=x)
    x = mx.sym.FullyConnected(data=x, num_hidden=5)
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 10, 10)


def inception_v3(mx, drop=0.5):
    d = mx.sym.Variable(name="data")
    d = mx.sym.identity(data=d, name="id")
    x = conv_bn_act(mx, d, 8, (3, 3), "conv", stride=(2, 2), fix_gamma=True)
    x = mx.sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pool_type="max", name="pool")
    a = conv_bn_act(mx, x, 4, (1, 1), "mixed_conv", fix_gamma=True)
    b = conv_bn_act(mx, x, 4, (1, 7), "mixed_tower_conv_1", pad=(0, 3), fix_gamma=True)
    b = conv_bn_act(mx, b, 4, (7, 1), "mixed_tower_conv_2", pad=(3, 0), fix_gamma=True)
    c = conv_bn_act(mx, x, 3, (1, 3), "mixed_tower_1_mixed_conv", pad=(0, 1), fix_gamma=True)
    p = mx.sym.Pooling(data=x, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg", name="avg_pool_mixed_pool")
    x = mx.sym.Concat(*[a, b, c, p], name="ch_concat_mixed_chconcat")
    x = mx.sym.Pooling(data=x, kernel=(4, 4), stride=(1, 1), pool_type="avg", name="global_pool")
    x = mx.sym.Flatten(data=x, name="flatten")
    x = mx.sym.FullyConnected(data=x, num_hidden=5, name="fc1")
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 19, 19)


def inception_resnet_v2(mx, drop=0.5):
    d = mx.sym.Variable(name="data")
    x = conv_bn_act(mx, d, 8, (3, 3), "stem", stride=(2, 2), pad=(1, 1))

    def block(net, scale, name, with_act=True):
        t0 = conv_bn_act(mx, net, 4, (1, 1), name + "_t0")
        t1 = conv_bn_act(mx, conv_bn_act(mx, net, 4, (1, 1), name + "_t1a"), 4, (3, 3), name + "_t1b", pad=(1, 1))
        mixed = mx.sym.Concat(*[t0, t1])
        out = mx.sym.Convolution(data=mixed, num_filter=8, kernel=(1, 1), name=name + "_up")
        net = net + scale * out
        if with_act:
            net = mx.sym.Activation(data=net, act_type="relu")
        return net

    x = block(x, 0.17, "b35")
    x = block(x, 0.1, "b17", with_act=False)
    x = mx.sym.Pooling(data=x, kernel=(6, 6), global_pool=True, pool_type="avg")
    x = mx.sym.Flatten(x)
    x = mx.sym.Dropout(data=x, p=drop)
    x = mx.sym.FullyConnected(data=x, num_hidden=5)
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 12, 12)


def resnet(mx, drop=0.5, bottle=True):
    d = mx.sym.Variable(name="data")
    d = mx.sym.identity(data=d, name="id")
    d = mx.sym.BatchNorm(data=d, fix_gamma=True, eps=2e-5, momentum=0.9, name="bn_data")
    body = mx.sym.Convolution(
        data=d, num_filter=8, kernel=(3, 3), stride=(1, 1), pad=(1, 1), no_bias=True, name="conv0", workspace=256
    )

    def unit(x, nf, stride, match, name):
        b1 = mx.sym.BatchNorm(data=x, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_bn1")
        a1 = mx.sym.Activation(data=b1, act_type="relu", name=name + "_relu1")
        if bottle:
            c1 = mx.sym.Convolution(
                data=a1,
                num_filter=int(nf * 0.25),
                kernel=(1, 1),
                stride=(1, 1),
                pad=(0, 0),
                no_bias=True,
                name=name + "_conv1",
            )
            b2 = mx.sym.BatchNorm(data=c1, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_bn2")
            a2 = mx.sym.Activation(data=b2, act_type="relu", name=name + "_relu2")
            c2 = mx.sym.Convolution(
                data=a2,
                num_filter=int(nf * 0.25),
                kernel=(3, 3),
                stride=stride,
                pad=(1, 1),
                no_bias=True,
                name=name + "_conv2",
            )
            b3 = mx.sym.BatchNorm(data=c2, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_bn3")
            a3 = mx.sym.Activation(data=b3, act_type="relu", name=name + "_relu3")
            out = mx.sym.Convolution(data=a3, num_filter=nf, kernel=(1, 1), no_bias=True, name=name + "_conv3")
        else:
            out = mx.sym.Convolution(
                data=a1, num_filter=nf, kernel=(3, 3), stride=stride, pad=(1, 1), no_bias=True, name=name + "_conv1"
            )
        sc = (
            x
            if match
            else mx.sym.Convolution(
                data=a1, num_filter=nf, kernel=(1, 1), stride=stride, no_bias=True, name=name + "_sc"
            )
        )
        sc._set_attr(mirror_stage="True")
        return out + sc

    body = unit(body, 16, (1, 1), False, "stage1_unit1")
    body = unit(body, 16, (1, 1), True, "stage1_unit2")
    body = unit(body, 24, (2, 2), False, "stage2_unit1")
    b = mx.sym.BatchNorm(data=body, fix_gamma=False, eps=2e-5, momentum=0.9, name="bn1")
    r = mx.sym.Activation(data=b, act_type="relu", name="relu1")
    return pooled_head(mx, r), (3, 10, 10)


def resnext(mx, drop=0.5):
    d = mx.sym.Variable(name="data")
    x = conv_bn_act(mx, d, 16, (3, 3), "conv0", pad=(1, 1))

    def unit(x, nf, stride, match, name):
        c1 = conv_bn_act(mx, x, nf // 2, (1, 1), name + "_a")
        c2 = conv_bn_act(mx, c1, nf // 2, (3, 3), name + "_b", stride=stride, pad=(1, 1), group=4)
        c3 = conv_bn_act(mx, c2, nf, (1, 1), name + "_c", act=None)
        sc = x if match else conv_bn_act(mx, x, nf, (1, 1), name + "_sc", stride=stride, act=None)
        return mx.sym.Activation(data=c3 + sc, act_type="relu", name=name + "_relu")

    x = unit(x, 16, (1, 1), True, "s1u1")
    x = unit(x, 32, (2, 2), False, "s2u1")
    return pooled_head(mx, x), (3, 9, 9)


def mobilenet(mx, drop=0.5):
    d = mx.sym.Variable(name="data")
    x = conv_bn_act(mx, d, 8, (3, 3), "conv_1", stride=(2, 2), pad=(1, 1))
    x = conv_bn_act(mx, x, 8, (3, 3), "conv_2_dw", pad=(1, 1), group=8)
    x = conv_bn_act(mx, x, 16, (1, 1), "conv_2")
    x = conv_bn_act(mx, x, 16, (3, 3), "conv_3_dw", stride=(2, 2), pad=(1, 1), group=16)
    x = conv_bn_act(mx, x, 12, (1, 1), "conv_3")
    x = mx.sym.Pooling(data=x, kernel=(3, 3), stride=(1, 1), pool_type="avg", name="pool", global_pool=True)
    x = mx.sym.flatten(data=x, name="flatten")
    x = mx.sym.FullyConnected(data=x, num_hidden=5, name="fc")
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 12, 12)


def mobilenetv2(mx, drop=0.5):
    def unit(x, nf, k=(1, 1), stride=(1, 1), pad=(0, 0), group=1, act=True, prefix=""):
        c = mx.sym.Convolution(
            data=x,
            num_filter=nf,
            kernel=k,
            num_group=group,
            stride=stride,
            pad=pad,
            no_bias=True,
            name="%s-conv2d" % prefix,
        )
        b = mx.sym.BatchNorm(data=c, name="%s-batchnorm" % prefix, fix_gamma=False, use_global_stats=False, eps=1e-5)
        return mx.sym.clip(b, 0, 6, name="%s-relu6" % prefix) if act else b

    def inv(x, cin, cout, short, stride, t, prefix):
        e = int(round(cin * t))
        y = unit(x, e, prefix="%s-exp" % prefix)
        y = unit(y, e, (3, 3), stride, (1, 1), group=e, prefix="%s-depthwise" % prefix)
        y = unit(y, cout, act=False, prefix="%s-linear" % prefix)
        return mx.sym.elemwise_add(x, y, name="%s-shortcut" % prefix) if short else y

    d = mx.sym.Variable("data")
    x = unit(d, 8, (3, 3), (2, 2), (1, 1), prefix="first-3x3-conv")
    x = inv(x, 8, 6, False, (1, 1), 2, "seq-0-block0")
    x = inv(x, 6, 6, True, (1, 1), 2, "seq-0-block1")
    x = unit(x, 16, prefix="last-1x1-conv")
    x = mx.sym.Pooling(data=x, kernel=(7, 7), stride=(1, 1), pool_type="avg", name="global_pool", global_pool=True)
    x = mx.sym.Flatten(data=x, name="flatten")
    x = mx.symbol.FullyConnected(data=x, num_hidden=5, name="fc")
    return mx.symbol.SoftmaxOutput(data=x, name="softmax"), (3, 10, 10)


def densenet(mx, drop=0.2):
    d = mx.sym.Variable(name="data")
    d = mx.sym.BatchNorm(data=d, fix_gamma=True, eps=2e-5, momentum=0.9, name="bn_data")
    x = mx.sym.Convolution(data=d, num_filter=8, kernel=(3, 3), stride=(1, 1), pad=(1, 1), no_bias=True, name="conv0")

    def block(x, n, g, name):
        for i in range(n):
            b = mx.sym.BatchNorm(data=x, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_unit%d_bn1" % (i + 1))
            a = mx.sym.Activation(data=b, act_type="relu", name=name + "_unit%d_relu1" % (i + 1))
            c = mx.sym.Convolution(
                data=a, num_filter=g, kernel=(3, 3), pad=(1, 1), no_bias=True, name=name + "_unit%d_conv1" % (i + 1)
            )
            if drop > 0:
                c = mx.symbol.Dropout(data=c, p=drop, name=name + "_unit%d_dp1" % (i + 1))
            x = mx.symbol.Concat(x, c, name=name + "_concat%d" % (i + 1))
        return x

    x = block(x, 2, 4, "DBstage1")
    b = mx.sym.BatchNorm(data=x, fix_gamma=False, eps=2e-5, momentum=0.9, name="TBstage1_bn1")
    a = mx.sym.Activation(data=b, act_type="relu", name="TBstage1_relu1")
    c = mx.sym.Convolution(data=a, num_filter=8, kernel=(1, 1), no_bias=True, name="TBstage1_conv1")
    x = mx.symbol.Pooling(c, global_pool=False, kernel=(2, 2), stride=(2, 2), pool_type="avg", name="TBstage1_pool1")
    x = block(x, 2, 4, "DBstage2")
    return pooled_head(mx, x), (3, 8, 8)


def pvanet(mx, drop=0.5):
    def scale_shift(x, name):
        al = mx.symbol.Variable(name="%s_alpha" % name, shape=(1), dtype="float32", init=mx.initializer.One())
        be = mx.symbol.Variable(name="%s_beta" % name, shape=(1), dtype="float32", init=mx.initializer.Zero())
        return mx.symbol.broadcast_add(mx.symbol.broadcast_mul(x, al), be)

    d = mx.sym.Variable(name="data")
    c = mx.symbol.Convolution(data=d, num_filter=4, kernel=(3, 3), pad=(1, 1), stride=(2, 2), name="conv1_1_conv2d")
    b = mx.symbol.BatchNorm(data=c, use_global_stats=True, name="conv1_1_batchnorm")
    n = mx.symbol.negative(data=b, name="negative")
    x = mx.symbol.concat(b, n)
    x = scale_shift(x, "conv1_1")
    x = mx.symbol.Activation(data=x, act_type="relu", name="conv1_1_relu")
    x = mx.sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max", name="pool1_1")
    x = mx.sym.Flatten(data=x, name="flatten")
    x = mx.sym.FullyConnected(data=x, num_hidden=12, name="fc6")
    x = mx.sym.BatchNorm(data=x, use_global_stats=True, name="fc6_batchnorm")
    x = scale_shift(x, "fc6_scaleshift")
    x = mx.sym.Dropout(data=x, p=drop, name="fc6_dropout")
    x = mx.sym.Activation(data=x, act_type="relu", name="fc6_relu")
    x = mx.sym.FullyConnected(data=x, num_hidden=5, name="fc8")
    return mx.sym.SoftmaxOutput(data=x, name="softmax"), (3, 12, 12)


ARCHS = [
    "mlp",
    "lenet",
    "alexnet",
    "vgg",
    "googlenet",
    "inception_bn",
    "inception_v3",
    "inception_resnet_v2",
    "resnet",
    "resnext",
    "mobilenet",
    "mobilenetv2",
    "densenet",
    "pvanet",
]


def canonical_json(sym):
    """sha1 of the graph JSON's nodes/arg_nodes/heads/attrs (sorted keys)."""
    j = json.loads(sym.tojson())
    keep = {k: j[k] for k in ("nodes", "arg_nodes", "heads", "attrs")}
    return hashlib.sha1(json.dumps(keep, sort_keys=True).encode()).hexdigest()


def fixed_values(names, shapes, rng):
    """Deterministic parameter values by name (gamma ~1, beta/bias small, weights He-scaled)."""
    out = {}
    for n, s in zip(names, shapes):
        if n.endswith("gamma") or n.endswith("alpha"):
            v = 1 + 0.1 * rng.randn(*s)
        elif n.endswith("beta") or n.endswith("bias") or "moving_mean" in n or "running_mean" in n:
            v = 0.1 * rng.randn(*s)
        elif "moving_var" in n or "running_var" in n:
            v = 1 + 0.2 * rng.rand(*s)
        else:
            v = rng.randn(*s) * np.sqrt(2.0 / max(1, int(np.prod(s[1:])) if len(s) > 1 else s[0]))
        out[n] = v.astype("float32")
    return out


def checksums(arrays):
    """{name: [sum, sum of |x|]} -- enough to tell parameters apart, small to store."""
    return {k: [float(np.sum(v)), float(np.sum(np.abs(v)))] for k, v in arrays.items()}


def run_arch(mx, name, batch=4, steps=3):
    """Build `name`, report its lists/shapes/JSON hash, one inference forward and
    `steps` Module SGD steps from fixed parameters (Dropout p=0 for the training)."""
    with mx.name.NameManager():  # auto names (activation0, ...) count from 0 in each model
        sym, ishape = globals()[name](mx)
    dshape = (batch,) + ishape
    args, outs, aux = sym.infer_shape(data=dshape)
    r = {
        "arguments": sym.list_arguments(),
        "aux": sym.list_auxiliary_states(),
        "outputs": sym.list_outputs(),
        "arg_shapes": [list(s) for s in args],
        "out_shapes": [list(s) for s in outs],
        "aux_shapes": [list(s) for s in aux],
        "json_sha1": canonical_json(sym),
    }
    with mx.name.NameManager():
        sym0, _ = globals()[name](mx, drop=0.0)
    rng = np.random.RandomState(0)
    pnames = [(n, s) for n, s in zip(sym0.list_arguments(), args) if n not in ("data", "softmax_label")]
    argp = fixed_values([n for n, _ in pnames], [s for _, s in pnames], rng)
    auxp = fixed_values(sym0.list_auxiliary_states(), aux, rng)
    data = rng.randn(*dshape).astype("float32")
    label = rng.randint(0, 5, size=(batch,)).astype("float32")
    mod = mx.mod.Module(sym0, data_names=["data"], label_names=["softmax_label"], context=mx.cpu())
    mod.bind(data_shapes=[("data", dshape)], label_shapes=[("softmax_label", (batch,))])
    mod.init_params(
        arg_params={k: mx.nd.array(v) for k, v in argp.items()}, aux_params={k: mx.nd.array(v) for k, v in auxp.items()}
    )
    b = mx.io.DataBatch(data=[mx.nd.array(data)], label=[mx.nd.array(label)])
    mod.forward(b, is_train=False)
    r["forward"] = mod.get_outputs()[0].asnumpy().tolist()
    mod.init_optimizer(
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.05, "momentum": 0.9, "wd": 1e-4, "rescale_grad": 1.0 / batch},
    )
    losses = []
    for _ in range(steps):
        mod.forward(b, is_train=True)
        p = mod.get_outputs()[0].asnumpy()
        losses.append(float(-np.log(np.maximum(p[np.arange(batch), label.astype(int)], 1e-12)).mean()))
        mod.backward()
        mod.update()
    r["losses"] = losses
    ap, xp = mod.get_params()
    r["params"] = checksums({k: v.asnumpy() for k, v in list(ap.items()) + list(xp.items())})
    return r
