"""Module programs in the shape of MXNet's symbolic examples: ``Module.fit`` on an
NDArrayIter with Speedometer/score/predict, the recommenders' Embedding dot product
with LinearRegressionOutput, multi-task (Group of two SoftmaxOutputs and an
EvalMetric of its own), example/gan's DCGAN (Deconvolution, LeakyReLU,
LogisticRegressionOutput, ``inputs_need_grad`` and ``get_input_grads``, the
gradient sum through ``mod._exec_group.grad_arrays``), the autoencoder with
LinearRegressionOutput and a FactorScheduler, and example/rnn's bucketing
(BucketSentenceIter, BucketingModule, LSTMCell unroll, Perplexity); neural-style
(gram matrices by FullyConnected, MakeLoss, an optimizer stepping the bound input
image), nce-loss (shared Embedding weights, LogisticRegressionOutput,
a metric from a function), the captcha/CTC model (contrib.ctc_loss, MakeLoss,
BlockGrad in a Group, a 'TNC' DataDesc) and fcn-xs (Deconvolution with Bilinear init
through init.Mixed, Crop, multi-output SoftmaxOutput with ignore_label); and
example/module's SequentialModule (auto_wiring, take_labels) with a PythonLossModule.

``bind(mx)`` picks the framework."""

import random

import numpy as np
from excompat_symbols import fixed_values

mx = None


def bind(module):
    global mx
    mx = module


def fixed_params(sym, shapes, seed=1):
    a, _, x = sym.infer_shape(**shapes)
    rng = np.random.RandomState(seed)
    names = [(n, s) for n, s in zip(sym.list_arguments(), a) if n not in shapes]
    ap = fixed_values([n for n, _ in names], [s for _, s in names], rng)
    xp = fixed_values(sym.list_auxiliary_states(), x, rng)
    return ({k: mx.nd.array(v) for k, v in ap.items()}, {k: mx.nd.array(v) for k, v in xp.items()})


def dump(mod):
    a, x = mod.get_params()
    return {k: v.asnumpy() for k, v in list(a.items()) + list(x.items())}


def fit_mlp(_):
    d = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(d, num_hidden=16, name="fc1")
    h = mx.sym.Activation(h, act_type="relu")
    h = mx.sym.FullyConnected(h, num_hidden=4, name="fc2")
    net = mx.sym.SoftmaxOutput(h, name="softmax")
    rng = np.random.RandomState(0)
    X = rng.rand(40, 10).astype("float32")
    Y = rng.randint(0, 4, 40).astype("float32")
    it = mx.io.NDArrayIter(X, Y, batch_size=8, shuffle=False, label_name="softmax_label")
    ap, xp = fixed_params(net, {"data": (8, 10), "softmax_label": (8,)})
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.fit(
        it,
        eval_data=it,
        eval_metric="acc",
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4},
        arg_params=ap,
        aux_params=xp,
        num_epoch=3,
        batch_end_callback=mx.callback.Speedometer(8, 2),
    )
    sc = mod.score(it, ["acc", "ce"])
    pr = mod.predict(it).asnumpy()
    return [v for _, v in sc] + [float(pr.sum())], dump(mod)


def recommender(_):
    u = mx.sym.Variable("user")
    i = mx.sym.Variable("item")
    s = mx.sym.Variable("score")
    ue = mx.sym.Embedding(data=u, input_dim=10, output_dim=4, name="user_embed")
    ie = mx.sym.Embedding(data=i, input_dim=12, output_dim=4, name="item_embed")
    pred = mx.sym.sum_axis(ue * ie, axis=1)
    pred = mx.sym.Flatten(pred)
    net = mx.sym.LinearRegressionOutput(data=pred, label=s)
    rng = np.random.RandomState(0)
    U = rng.randint(0, 10, 32).astype("float32")
    I = rng.randint(0, 12, 32).astype("float32")
    S = (rng.rand(32) * 5).astype("float32")
    it = mx.io.NDArrayIter({"user": U, "item": I}, {"score": S}, batch_size=8)
    ap, xp = fixed_params(net, {"user": (8,), "item": (8,), "score": (8,)})
    mod = mx.mod.Module(net, data_names=["user", "item"], label_names=["score"])
    mod.fit(
        it,
        eval_metric="rmse",
        optimizer="adam",
        optimizer_params={"learning_rate": 0.01},
        arg_params=ap,
        aux_params=xp,
        num_epoch=2,
        initializer=mx.init.Xavier(),
    )
    return [v for _, v in mod.score(it, "rmse")], dump(mod)


def multitask_sym(_):
    d = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(d, num_hidden=12, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    o1 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=4, name="fc_a"), name="softmax1")
    o2 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=3, name="fc_b"), name="softmax2")
    net = mx.sym.Group([o1, o2])
    rng = np.random.RandomState(0)
    X = rng.rand(16, 6).astype("float32")
    it = mx.io.NDArrayIter(
        X,
        {
            "softmax1_label": rng.randint(0, 4, 16).astype("float32"),
            "softmax2_label": rng.randint(0, 3, 16).astype("float32"),
        },
        batch_size=8,
    )
    ap, xp = fixed_params(net, {"data": (8, 6), "softmax1_label": (8,), "softmax2_label": (8,)})

    class MAcc(mx.metric.EvalMetric):
        def __init__(self, n):
            self.n = n
            super().__init__("multi-accuracy")

        def reset(self):
            self.sum_metric = [0.0] * self.n
            self.num_inst = [0] * self.n

        def get(self):
            return self.name, [s / max(1, n) for s, n in zip(self.sum_metric, self.num_inst)]

        def update(self, labels, preds):
            for i in range(len(labels)):
                p = np.argmax(preds[i].asnumpy(), axis=1).astype("int32")
                l = labels[i].asnumpy().astype("int32")
                self.sum_metric[i] += (p == l).sum()
                self.num_inst[i] += len(l)

    m = MAcc(2)
    mod = mx.mod.Module(net, label_names=["softmax1_label", "softmax2_label"])
    mod.fit(
        it,
        eval_metric=m,
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.2},
        arg_params=ap,
        aux_params=xp,
        num_epoch=2,
    )
    return list(m.get()[1]), dump(mod)


def dcgan_sym(_):
    BN = mx.sym.BatchNorm
    rand = mx.sym.Variable("rand")
    g = mx.sym.Deconvolution(rand, name="g1", kernel=(4, 4), num_filter=8, no_bias=True)
    g = BN(g, name="gbn1", fix_gamma=True, eps=1e-5 + 1e-12)
    g = mx.sym.Activation(g, name="gact1", act_type="relu")
    g = mx.sym.Deconvolution(g, name="g2", kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=3, no_bias=True)
    gout = mx.sym.Activation(g, name="gact2", act_type="tanh")
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("label")
    d = mx.sym.Convolution(data, name="d1", kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=4, no_bias=True)
    d = mx.sym.LeakyReLU(d, name="dact1", act_type="leaky", slope=0.2)
    d = mx.sym.Convolution(d, name="d2", kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=8, no_bias=True)
    d = BN(d, name="dbn2", fix_gamma=True, eps=1e-5 + 1e-12)
    d = mx.sym.LeakyReLU(d, name="dact2", act_type="leaky", slope=0.2)
    d = mx.sym.Convolution(d, name="d5", kernel=(2, 2), num_filter=1, no_bias=True)
    d = mx.sym.Flatten(d)
    dloss = mx.sym.LogisticRegressionOutput(data=d, label=label, name="dloss")
    B = 4
    rng = np.random.RandomState(0)
    modG = mx.mod.Module(gout, data_names=("rand",), label_names=None)
    modG.bind(data_shapes=[("rand", (B, 5, 1, 1))])
    apg, xpg = fixed_params(gout, {"rand": (B, 5, 1, 1)}, 2)
    modG.init_params(arg_params=apg, aux_params=xpg)
    modG.init_optimizer(optimizer="adam", optimizer_params={"learning_rate": 0.0002, "wd": 0.0, "beta1": 0.5})
    modD = mx.mod.Module(dloss, data_names=("data",), label_names=("label",))
    modD.bind(data_shapes=[("data", (B, 3, 8, 8))], label_shapes=[("label", (B,))], inputs_need_grad=True)
    apd, xpd = fixed_params(dloss, {"data": (B, 3, 8, 8), "label": (B,)}, 3)
    modD.init_params(arg_params=apd, aux_params=xpd)
    modD.init_optimizer(optimizer="adam", optimizer_params={"learning_rate": 0.0002, "wd": 0.0, "beta1": 0.5})
    real = mx.nd.array(rng.rand(B, 3, 8, 8) * 2 - 1)
    noise = mx.nd.array(rng.randn(B, 5, 1, 1))
    lab = mx.nd.zeros((B,))
    out = []
    for it in range(3):
        modG.forward(mx.io.DataBatch([noise], []), is_train=True)
        outG = modG.get_outputs()
        lab[:] = 0
        modD.forward(mx.io.DataBatch(outG, [lab]), is_train=True)
        modD.backward()
        gradD = [[g.copyto(g.context) for g in grads] for grads in modD._exec_group.grad_arrays]
        out.append(float(modD.get_outputs()[0].asnumpy().mean()))
        lab[:] = 1
        modD.forward(mx.io.DataBatch([real], [lab]), is_train=True)
        modD.backward()
        for gradsr, gradsf in zip(modD._exec_group.grad_arrays, gradD):
            for gr, gf in zip(gradsr, gradsf):
                gr += gf
        modD.update()
        lab[:] = 1
        modD.forward(mx.io.DataBatch(outG, [lab]), is_train=True)
        modD.backward()
        diffD = modD.get_input_grads()
        modG.backward(diffD)
        modG.update()
        out.append(float(diffD[0].asnumpy().std()))
    return out, {**dump(modG), **dump(modD)}


def autoenc_sym(_):
    d = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(d, num_hidden=8, name="encoder_0")
    h = mx.sym.Activation(h, act_type="relu", name="encoder_act_0")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="encoder_1")
    h = mx.sym.FullyConnected(h, num_hidden=8, name="decoder_1")
    h = mx.sym.Activation(h, act_type="relu", name="decoder_act_1")
    h = mx.sym.FullyConnected(h, num_hidden=12, name="decoder_0")
    h = mx.sym.Dropout(h, p=0.0)
    net = mx.sym.LinearRegressionOutput(data=h, label=mx.sym.Variable("label"), name="lro")
    rng = np.random.RandomState(0)
    X = rng.rand(16, 12).astype("float32")
    it = mx.io.NDArrayIter({"data": X}, {"label": X}, batch_size=8)
    ap, xp = fixed_params(net, {"data": (8, 12), "label": (8, 12)})
    mod = mx.mod.Module(net, label_names=["label"])
    mod.fit(
        it,
        eval_metric="mse",
        optimizer="sgd",
        optimizer_params={
            "learning_rate": 0.1,
            "momentum": 0.9,
            "rescale_grad": 1.0 / 8,
            "lr_scheduler": mx.lr_scheduler.FactorScheduler(2, 0.5),
        },
        arg_params=ap,
        aux_params=xp,
        num_epoch=3,
    )
    return [v for _, v in mod.score(it, "mse")], dump(mod)


def bucketing(_):
    V, H = 12, 6
    rng = np.random.RandomState(0)
    sents = [list(rng.randint(1, V, size=rng.choice([3, 5]))) for _ in range(24)]
    it = mx.rnn.BucketSentenceIter(sents, 4, buckets=[3, 5], invalid_label=0)
    stack = mx.rnn.SequentialRNNCell()
    for i in range(2):
        stack.add(mx.rnn.LSTMCell(num_hidden=H, prefix="lstm_l%d_" % i))

    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        embed = mx.sym.Embedding(data=data, input_dim=V, output_dim=5, name="embed")
        stack.reset()
        outputs, states = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, H))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=V, name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax", use_ignore=True, ignore_label=0)
        return pred, ("data",), ("softmax_label",)

    mod = mx.mod.BucketingModule(sym_gen=sym_gen, default_bucket_key=it.default_bucket_key, context=mx.cpu())
    s5, _, _ = sym_gen(5)
    ap, xp = fixed_params(s5, {"data": (4, 5), "softmax_label": (4, 5)})
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(arg_params=ap, aux_params=xp)
    mod.init_optimizer(
        optimizer="sgd", optimizer_params={"learning_rate": 0.1, "momentum": 0.0, "wd": 1e-5, "clip_gradient": 5.0}
    )
    metric = mx.metric.Perplexity(0)
    it.reset()
    nb = 0
    for batch in it:
        mod.forward(batch, is_train=True)
        mod.update_metric(metric, batch.label)
        mod.backward()
        mod.update()
        nb += 1
    return [metric.get()[1], nb], dump(mod)


def neural_style(_):
    data = mx.sym.Variable("data")
    c1 = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv1_1")
    r1 = mx.sym.Activation(c1, act_type="relu", name="relu1_1")
    p1 = mx.sym.Pooling(r1, kernel=(2, 2), stride=(2, 2), pool_type="avg", name="pool1")
    c2 = mx.sym.Convolution(p1, num_filter=6, kernel=(3, 3), pad=(1, 1), name="conv2_1")
    r2 = mx.sym.Activation(c2, act_type="relu", name="relu2_1")
    style_outs = []
    for i, (r, ch, hw) in enumerate([(r1, 4, 64), (r2, 6, 16)]):
        x = mx.sym.Reshape(r, target_shape=(0, 0))  # legacy target_shape, as the example
        x = mx.sym.Reshape(r, shape=(ch, hw))
        style_outs.append(mx.sym.FullyConnected(x, x, no_bias=True, num_hidden=ch, name="gram%d" % i))
    loss = []
    for i, s in enumerate(style_outs):
        t = mx.sym.Variable("target_gram_%d" % i)
        loss.append(mx.sym.sum(mx.sym.square(t - s)))
    content = mx.sym.Variable("target_content")
    loss.append(mx.sym.sum(mx.sym.square(content - r2)))
    total = mx.sym.MakeLoss(mx.sym.add_n(*loss) * 0.01)
    shapes = {"data": (1, 3, 8, 8), "target_gram_0": (4, 4), "target_gram_1": (6, 6), "target_content": (1, 6, 4, 4)}
    a, _, _ = total.infer_shape(**shapes)
    rng = np.random.RandomState(0)
    vals = {n: mx.nd.array(v) for n, v in fixed_values(total.list_arguments(), a, rng).items()}
    vals["data"] = mx.nd.array(rng.rand(1, 3, 8, 8))
    req = {n: ("write" if n == "data" else "null") for n in total.list_arguments()}
    grad = mx.nd.zeros((1, 3, 8, 8))
    ex = total.bind(mx.cpu(), vals, args_grad={"data": grad}, grad_req=req)
    opt = mx.optimizer.Adam(learning_rate=0.05, wd=0.0)
    state = opt.create_state(0, vals["data"])
    out = []
    for it in range(4):
        ex.forward(is_train=True)
        ex.backward()
        opt.update(0, vals["data"], grad, state)
        out.append(float(ex.outputs[0].asnumpy().sum()))
    return out, {"img": vals["data"].asnumpy()}


def nce(_):
    V, E, B, K = 20, 4, 4, 5
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("label")
    lw = mx.sym.Variable("label_weight")
    embed_w = mx.sym.Variable("embed_weight")
    h = mx.sym.Embedding(data, weight=embed_w, input_dim=V, output_dim=E, name="embed")
    h = mx.sym.sum(h, axis=1)
    le = mx.sym.Embedding(label, input_dim=V, output_dim=E, name="label_embed")
    h2 = mx.sym.Reshape(h, shape=(-1, 1, E))
    pred = mx.sym.sum(mx.sym.broadcast_mul(h2, le), axis=2)
    out = mx.sym.LogisticRegressionOutput(pred, lw, name="nce")
    rng = np.random.RandomState(0)
    D = rng.randint(0, V, (8, 3)).astype("float32")
    L = rng.randint(0, V, (8, K)).astype("float32")
    W = np.zeros((8, K), "float32")
    W[:, 0] = 1
    it = mx.io.NDArrayIter({"data": D, "label": L}, {"label_weight": W}, B)
    mod = mx.mod.Module(out, data_names=["data", "label"], label_names=["label_weight"])
    mod.bind(it.provide_data, it.provide_label)
    a, _, _ = out.infer_shape(data=(B, 3), label=(B, K), label_weight=(B, K))
    names = [n for n in out.list_arguments() if n not in ("data", "label", "label_weight")]
    shapes = [s for n, s in zip(out.list_arguments(), a) if n in names]
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in fixed_values(names, shapes, rng).items()})
    mod.init_optimizer(optimizer="adagrad", optimizer_params={"learning_rate": 0.3, "wd": 0.00001})
    m = mx.metric.create(lambda l, p: float(np.mean((p > 0.5) == l)))
    for ep in range(2):
        it.reset()
        for b in it:
            mod.forward_backward(b)
            mod.update()
            mod.update_metric(m, b.label)
    a, _ = mod.get_params()
    return [m.get()[1]], {k: v.asnumpy() for k, v in a.items()}


def ctc_sym(_):
    T, B, C, L = 6, 2, 5, 3
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("label")
    fc = mx.sym.FullyConnected(mx.sym.Reshape(data, shape=(-1, 4)), num_hidden=C, name="pred_fc")
    pred = mx.sym.Reshape(fc, shape=(T, B, C))
    loss = mx.sym.contrib.ctc_loss(data=pred, label=label)
    ctc = mx.sym.MakeLoss(loss)
    softmax = mx.sym.softmax(pred, axis=2)
    net = mx.sym.Group([mx.sym.BlockGrad(softmax), ctc])
    rng = np.random.RandomState(0)
    mod = mx.mod.Module(net, data_names=["data"], label_names=["label"])
    mod.bind([mx.io.DataDesc("data", (T, B, 4), layout="TNC")], [("label", (B, L))])
    mod.init_params(arg_params={"pred_fc_weight": mx.nd.array(rng.randn(C, 4) * 0.5), "pred_fc_bias": mx.nd.zeros(C)})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.05, "momentum": 0.9})
    b = mx.io.DataBatch([mx.nd.array(rng.randn(T, B, 4))], [mx.nd.array([[1, 2, 3], [2, 4, 0]])])
    out = []
    for i in range(3):
        mod.forward(b, is_train=True)
        out += mod.get_outputs()[1].asnumpy().tolist()
        mod.backward()
        mod.update()
    a, _ = mod.get_params()
    return out, {k: v.asnumpy() for k, v in a.items()}


def fcn(_):
    data = mx.sym.Variable("data")
    c = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv1")
    r = mx.sym.Activation(c, act_type="relu")
    p = mx.sym.Pooling(r, kernel=(2, 2), stride=(2, 2), pool_type="max")
    s = mx.sym.Convolution(p, num_filter=3, kernel=(1, 1), name="score")
    up = mx.sym.Deconvolution(s, kernel=(4, 4), stride=(2, 2), num_filter=3, adj=(0, 0), no_bias=True, name="bigscore")
    up = mx.sym.Crop(*[up, data], offset=(1, 1), name="upscore")
    out = mx.sym.SoftmaxOutput(
        up, multi_output=True, use_ignore=True, ignore_label=255, normalization="valid", name="softmax"
    )
    rng = np.random.RandomState(0)
    X = rng.rand(2, 3, 8, 8).astype("float32")
    Y = rng.randint(0, 3, (2, 8, 8)).astype("float32")
    Y[:, 0, :] = 255
    mod = mx.mod.Module(out)
    mod.bind([("data", X.shape)], [("softmax_label", Y.shape)])
    init = mx.init.Mixed(
        ["bigscore_weight", ".*"], [mx.init.Bilinear(), mx.init.Xavier(rnd_type="gaussian", magnitude=2)]
    )
    mx.random.seed(0)
    mod.init_params(init)
    a, x = mod.get_params()
    fixed = fixed_values(
        [k for k in a if k != "bigscore_weight"], [a[k].shape for k in a if k != "bigscore_weight"], rng
    )
    bil = a["bigscore_weight"].asnumpy()
    mod.set_params({**{k: mx.nd.array(v) for k, v in fixed.items()}, "bigscore_weight": a["bigscore_weight"]}, x)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 0.0005})
    b = mx.io.DataBatch([mx.nd.array(X)], [mx.nd.array(Y)])
    out = []
    for i in range(3):
        mod.forward(b, is_train=True)
        mod.backward()
        mod.update()
        out.append(float(mod.get_outputs()[0].asnumpy().sum()))
    a, _ = mod.get_params()
    return out, {"bilinear": bil, **{k: v.asnumpy() for k, v in a.items()}}


def sequential(_):
    net1 = mx.sym.Activation(
        mx.sym.FullyConnected(mx.sym.Variable("data"), name="fc1", num_hidden=8), name="relu1", act_type="relu"
    )
    net2 = mx.sym.SoftmaxOutput(
        mx.sym.FullyConnected(mx.sym.Variable("data"), name="fc2", num_hidden=3), name="softmax"
    )
    mod1 = mx.mod.Module(net1, label_names=None)
    mod2 = mx.mod.Module(net2)
    seq = mx.mod.SequentialModule()
    seq.add(mod1).add(mod2, take_labels=True, auto_wiring=True)
    rng = np.random.RandomState(0)
    X = rng.rand(24, 5).astype("float32")
    Y = rng.randint(0, 3, 24).astype("float32")
    it = mx.io.NDArrayIter(X, Y, 8)
    seq.bind(it.provide_data, it.provide_label)
    vals = fixed_values(["fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"], [(8, 5), (8,), (3, 8), (3,)], rng)
    seq.init_params(arg_params={k: mx.nd.array(v) for k, v in vals.items()}, allow_missing=False)
    seq.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5, "momentum": 0.9})
    ce = mx.metric.CrossEntropy()
    out = []
    for ep in range(2):
        it.reset()
        for b in it:
            seq.forward(b, is_train=True)
            seq.backward()
            seq.update()
            seq.update_metric(ce, b.label)
        out.append(ce.get()[1])
    out.append(seq.score(it, "acc")[0][1])
    a, _ = seq.get_params()

    # PythonLossModule after a feature module
    def grad_func(scores, labels):  # softmax cross-entropy's gradient, in numpy
        s = scores.asnumpy()
        l = labels.asnumpy().astype(int)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(l)), l] -= 1
        return mx.nd.array(p / len(l))

    feat = mx.mod.Module(mx.sym.FullyConnected(mx.sym.Variable("data"), name="fc", num_hidden=3), label_names=None)
    loss = mx.mod.PythonLossModule(grad_func=grad_func)
    s2 = mx.mod.SequentialModule()
    s2.add(feat).add(loss, take_labels=True, auto_wiring=True)
    s2.bind(it.provide_data, it.provide_label)
    s2.init_params(
        arg_params={k: mx.nd.array(v) for k, v in fixed_values(["fc_weight", "fc_bias"], [(3, 5), (3,)], rng).items()}
    )
    s2.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    it.reset()
    for b in it:
        s2.forward(b, is_train=True)
        s2.backward()
        s2.update()
    a2, _ = s2.get_params()
    return out, {**{k: v.asnumpy() for k, v in a.items()}, **{k: v.asnumpy() for k, v in a2.items()}}


PROGS = [
    "fit_mlp",
    "recommender",
    "multitask_sym",
    "dcgan_sym",
    "autoenc_sym",
    "bucketing",
    "neural_style",
    "nce",
    "ctc_sym",
    "fcn",
    "sequential",
]


def run_program(name):
    """(values, {param: [sum, sum of |x|]}) of one program; python's, numpy's and the
    framework's generators seeded (BucketSentenceIter shuffles with both)."""
    random.seed(0)
    np.random.seed(0)
    mx.random.seed(0)
    with mx.name.NameManager():
        values, params = globals()[name](None)
    return [float(v) for v in values], {k: [float(np.sum(v)), float(np.sum(np.abs(v)))] for k, v in params.items()}
