"""Gluon training programs in the shape of MXNet's example/gluon ones: the MNIST
loop (DataLoader, Trainer, Accuracy), the word language model (Embedding + LSTM/
GRU/RNN with tied decoder weights, ``detach`` of the hidden state,
``clip_global_norm``), DCGAN (Conv2DTranspose, BatchNorm, LeakyReLU, two Trainers),
super-resolution (the reshape/transpose pixel shuffle), matrix factorization
(two Embeddings), an autoencoder, a two-head multi-task net and a
``gluon.contrib.estimator`` fit; then style transfer (ReflectionPad2D,
InstanceNorm, UpSampling, a batch_dot gram matrix), house prices (log-rmse), CTC,
capsule routing (imperative autograd through broadcasts and norms), an adversarial
input gradient (``attach_grad`` on data, ``sign``), a VAE with the reparameterization
written out, and three symbolic ones: the text CNN of example/cnn_text_classification
(simple_bind, an RMSProp updater called per argument), SVMOutput with a
MultiFactorScheduler, FusedRNNCell with ``unpack_weights``; and the pieces the
other examples lean on: Bidirectional/Residual/HybridSequential RNN cells
(NER/tagging), the less common losses and metrics, LR schedulers with warmup and
Trainer states, export -> SymbolBlock.imports / load_checkpoint -> fine-tune, and
gluon.contrib.nn's HybridConcurrent/Identity/PixelShuffle2D. Each returns (values,
parameters) after a few steps from fixed initial parameters.

``bind(mx)`` picks the framework (``mxcore`` in the tests, ``mxnet`` in
tests/data/mxnet_ref/make_refs_examples.py)."""

import tempfile

import numpy as np
from excompat_symbols import fixed_values

mx = gluon = nn = ag = None


RNNModel = SuperRes = MF = MultiTask = None


def bind(module):
    global mx, gluon, nn, ag
    mx, gluon, nn, ag = module, module.gluon, module.gluon.nn, module.autograd
    _define_blocks()


def _define_blocks():
    """The programs' Block classes (they derive from the bound framework's gluon)."""
    global RNNModel, SuperRes, MF, MultiTask

    class RNNModel(gluon.Block):
        def __init__(self, mode, vocab, nemb, nhid, nlayers, tie, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.encoder = nn.Embedding(vocab, nemb, weight_initializer=mx.init.Uniform(0.1))
                if mode == "lstm":
                    self.rnn = gluon.rnn.LSTM(nhid, nlayers, dropout=0, input_size=nemb)
                elif mode == "gru":
                    self.rnn = gluon.rnn.GRU(nhid, nlayers, dropout=0, input_size=nemb)
                else:
                    self.rnn = gluon.rnn.RNN(nhid, nlayers, activation="tanh", dropout=0, input_size=nemb)
                if tie:
                    self.decoder = nn.Dense(vocab, in_units=nhid, params=self.encoder.params)
                else:
                    self.decoder = nn.Dense(vocab, in_units=nhid)
                self.nhid = nhid

        def forward(self, inputs, hidden):
            emb = self.encoder(inputs)
            output, hidden = self.rnn(emb, hidden)
            decoded = self.decoder(output.reshape((-1, self.nhid)))
            return decoded, hidden

        def begin_state(self, *a, **k):
            return self.rnn.begin_state(*a, **k)

    class SuperRes(gluon.HybridBlock):
        def __init__(self, f, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.conv1 = nn.Conv2D(8, (5, 5), strides=(1, 1), padding=(2, 2), activation="relu")
                self.conv2 = nn.Conv2D(8, (3, 3), strides=(1, 1), padding=(1, 1), activation="relu")
                self.conv4 = nn.Conv2D(f**2, (3, 3), strides=(1, 1), padding=(1, 1))
            self.f = f

        def hybrid_forward(self, F, x):
            x = self.conv4(self.conv2(self.conv1(x)))
            f = self.f
            x = F.reshape(x, shape=(0, -4, -1, f * f, 0, 0))
            x = F.reshape(x, shape=(0, 0, -4, f, f, 0, 0))
            x = F.transpose(x, (0, 1, 4, 2, 5, 3))
            x = F.reshape(x, shape=(0, 0, -3, -3))
            return x

    class MF(gluon.HybridBlock):
        def __init__(self, nu, ni, k, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.user = nn.Embedding(nu, k)
                self.item = nn.Embedding(ni, k)

        def hybrid_forward(self, F, u, i):
            return F.sum(self.user(u) * self.item(i), axis=1)

    class MultiTask(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.shared = nn.HybridSequential()
                self.shared.add(nn.Dense(16, activation="relu"), nn.Dense(12, activation="relu"))
                self.out1 = nn.Dense(5)
                self.out2 = nn.Dense(1)

        def hybrid_forward(self, F, x):
            h = self.shared(x)
            return self.out1(h), self.out2(h)


def set_params(net, seed=1):
    params = list(net.collect_params().values())
    names = [p.name for p in params]
    vals = fixed_values(names, [p.shape for p in params], np.random.RandomState(seed))
    for p in params:
        p.set_data(mx.nd.array(vals[p.name]))


def ready(net, inputs, hyb, optimizer, optimizer_params):
    """One forward to settle the shapes, the fixed values, hybridize if asked; the Trainer."""
    net(*inputs)
    set_params(net)
    if hyb:
        net.hybridize()
    return gluon.Trainer(net.collect_params(), optimizer, optimizer_params)


def train_steps(trainer, batch_size, steps, compute_loss):
    """The examples' inner loop: record the loss, backward, ``trainer.step``; mean losses."""
    losses = []
    for _ in range(steps):
        with ag.record():
            L = compute_loss()
        L.backward()
        trainer.step(batch_size)
        losses.append(float(L.mean().asscalar()))
    return losses


def dump(net):
    return [(p.shape, p.data().asnumpy()) for p in net.collect_params().values()]


def mnist(hyb):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation="relu"), nn.Dense(12, activation="relu"), nn.Dense(5))
    net.initialize(mx.init.Xavier(magnitude=2.24))
    rng = np.random.RandomState(0)
    X = rng.rand(24, 1, 6, 6).astype("float32")
    Y = rng.randint(0, 5, 24).astype("float32")
    tr = ready(net, (mx.nd.array(X[:2]),), hyb, "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    metric = mx.metric.Accuracy()
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(mx.nd.array(X), mx.nd.array(Y)), batch_size=8, shuffle=False)
    losses = []
    for ep in range(2):
        metric.reset()
        for d, l in data:
            with ag.record():
                out = net(d)
                L = loss(out, l)
            L.backward()
            tr.step(d.shape[0])
            metric.update([l], [out])
            losses.append(float(L.mean().asscalar()))
    return losses + [metric.get()[1]], dump(net)


def detach(h):
    if isinstance(h, (tuple, list)):
        return [detach(i) for i in h]
    return h.detach()


def word_lm(mode):
    V, T, B = 20, 5, 3
    model = RNNModel(mode, V, 8, 8, 2, True)
    model.collect_params().initialize(mx.init.Xavier())
    set_params(model)
    tr = gluon.Trainer(model.collect_params(), "sgd", {"learning_rate": 1.0, "momentum": 0, "wd": 0})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.RandomState(0)
    seq = rng.randint(0, V, size=(T * 4 + 1, B)).astype("float32")
    hidden = model.begin_state(func=mx.nd.zeros, batch_size=B)
    losses = []
    for i in range(0, T * 4, T):
        data = mx.nd.array(seq[i : i + T])
        target = mx.nd.array(seq[i + 1 : i + 1 + T])
        hidden = detach(hidden)
        with ag.record():
            output, hidden = model(data, hidden)
            L = loss(output, target.reshape((-1,)))
            L.backward()
        grads = [p.grad() for p in model.collect_params().values()]
        gluon.utils.clip_global_norm(grads, 0.25 * T * B)
        tr.step(T * B)
        losses.append(float(mx.nd.sum(L).asscalar()) / (T * B))
    return losses, dump(model)


def dcgan(_):
    nz, ngf, ndf, nc = 4, 4, 4, 3
    netG = nn.Sequential()
    with netG.name_scope():
        netG.add(
            nn.Conv2DTranspose(ngf * 2, 4, 1, 0, use_bias=False),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.Conv2DTranspose(ngf, 4, 2, 1, use_bias=False),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.Conv2DTranspose(nc, 4, 2, 1, use_bias=False),
            nn.Activation("tanh"),
        )
    netD = nn.Sequential()
    with netD.name_scope():
        netD.add(
            nn.Conv2D(ndf, 4, 2, 1, use_bias=False),
            nn.LeakyReLU(0.2),
            nn.Conv2D(ndf * 2, 4, 2, 1, use_bias=False),
            nn.BatchNorm(),
            nn.LeakyReLU(0.2),
            nn.Conv2D(1, 4, 1, 0, use_bias=False),
        )
    loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    netG.initialize(mx.init.Normal(0.02))
    netD.initialize(mx.init.Normal(0.02))
    B = 4
    rng = np.random.RandomState(0)
    real = mx.nd.array(rng.rand(B, nc, 16, 16).astype("float32") * 2 - 1)
    noise = mx.nd.array(rng.randn(B, nz, 1, 1).astype("float32"))
    netD(netG(noise))
    set_params(netG, 2)
    set_params(netD, 3)
    tG = gluon.Trainer(netG.collect_params(), "adam", {"learning_rate": 0.002, "beta1": 0.5})
    tD = gluon.Trainer(netD.collect_params(), "adam", {"learning_rate": 0.002, "beta1": 0.5})
    real_label = mx.nd.ones((B,))
    fake_label = mx.nd.zeros((B,))
    metric = mx.metric.CustomMetric(lambda label, pred: ((pred > 0.5) == label).mean())
    losses = []
    for it in range(3):
        with ag.record():
            out = netD(real).reshape((-1, 1))
            errD_real = loss(out, real_label)
            metric.update(
                [
                    real_label,
                ],
                [
                    out,
                ],
            )
            fake = netG(noise)
            out = netD(fake.detach()).reshape((-1, 1))
            errD_fake = loss(out, fake_label)
            errD = errD_real + errD_fake
            errD.backward()
        tD.step(B)
        with ag.record():
            fake = netG(noise)
            out = netD(fake).reshape((-1, 1))
            errG = loss(out, real_label)
            errG.backward()
        tG.step(B)
        losses += [float(errD.mean().asscalar()), float(errG.mean().asscalar())]
    return losses + [metric.get()[1]], dump(netG) + dump(netD)


def superres(hyb):
    net = SuperRes(2)
    net.initialize(mx.init.Orthogonal())
    rng = np.random.RandomState(0)
    x = mx.nd.array(rng.rand(2, 1, 6, 6).astype("float32"))
    y = mx.nd.array(rng.rand(2, 1, 12, 12).astype("float32"))
    tr = ready(net, (x,), hyb, "adam", {"learning_rate": 0.001})
    L2 = gluon.loss.L2Loss()
    metric = mx.metric.MSE()
    losses = []
    for it in range(3):
        with ag.record():
            out = net(x)
            L = L2(out, y)
        L.backward()
        tr.step(2)
        metric.update([y], [out])
        losses.append(float(L.mean().asscalar()))
    return losses + [metric.get()[1]], dump(net)


def mf(hyb):
    net = MF(10, 12, 4)
    net.initialize(mx.init.Uniform(0.1))
    rng = np.random.RandomState(0)
    u = mx.nd.array(rng.randint(0, 10, 16))
    i = mx.nd.array(rng.randint(0, 12, 16))
    r = mx.nd.array(rng.rand(16) * 5)
    tr = ready(
        net,
        (
            u,
            i,
        ),
        hyb,
        "sgd",
        {"learning_rate": 0.05, "wd": 1e-4, "momentum": 0.9},
    )
    L2 = gluon.loss.L2Loss()
    losses = train_steps(tr, 16, 4, lambda: L2(net(u, i), r))
    return losses, dump(net)


def autoenc(hyb):
    enc = nn.HybridSequential()
    dec = nn.HybridSequential()
    enc.add(nn.Dense(12, activation="relu"), nn.Dense(4))
    dec.add(nn.Dense(12, activation="sigmoid"), nn.Dense(20))
    net = nn.HybridSequential()
    net.add(enc, dec)
    net.initialize(mx.init.Xavier())
    rng = np.random.RandomState(0)
    X = mx.nd.array(rng.rand(8, 20).astype("float32"))
    tr = ready(net, (X,), hyb, "adam", {"learning_rate": 0.01})
    L2 = gluon.loss.L2Loss()
    losses = train_steps(tr, 8, 4, lambda: L2(net(X), X))
    return losses, dump(net)


def multitask(hyb):
    net = MultiTask()
    net.initialize(mx.init.Xavier())
    rng = np.random.RandomState(0)
    X = mx.nd.array(rng.rand(8, 10))
    Y1 = mx.nd.array(rng.randint(0, 5, 8))
    Y2 = mx.nd.array((rng.rand(8) > 0.5).astype("float32"))
    tr = ready(net, (X,), hyb, "sgd", {"learning_rate": 0.05})
    l1 = gluon.loss.SoftmaxCrossEntropyLoss()
    l2 = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    m1 = mx.metric.Accuracy()
    m2 = mx.metric.Accuracy()
    losses = []
    for it in range(3):
        with ag.record():
            o1, o2 = net(X)
            L = l1(o1, Y1) + l2(o2, Y2) * 0.5
        L.backward()
        tr.step(8)
        m1.update([Y1], [o1])
        m2.update([Y2], [o2.sigmoid() > 0.5])
        losses.append(float(L.mean().asscalar()))
    return losses + [m1.get()[1], m2.get()[1]], dump(net)


def estimator(_):
    from importlib import import_module

    est_mod = import_module(mx.__name__ + ".gluon.contrib.estimator")
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    net.initialize(mx.init.Xavier())
    rng = np.random.RandomState(0)
    X = rng.rand(16, 6).astype("float32")
    Y = rng.randint(0, 3, 16).astype("float32")
    net(mx.nd.array(X[:2]))
    set_params(net)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=4)
    est = est_mod.Estimator(net=net, loss=loss, train_metrics=mx.metric.Accuracy(), trainer=tr)
    est.fit(train_data=data, val_data=data, epochs=2)
    vals = [m.get()[1] for m in est.train_metrics] + [m.get()[1] for m in est.val_metrics]
    return [float(v) for v in vals], dump(net)


def style(hyb):
    class Res(gluon.HybridBlock):
        def __init__(self, c, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.pad = nn.ReflectionPad2D(1)
                self.conv = nn.Conv2D(c, 3, in_channels=c)
                self.norm = nn.InstanceNorm(in_channels=c)

        def hybrid_forward(self, F, x):
            return x + self.norm(self.conv(self.pad(x)))

    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.c1 = nn.Conv2D(4, 3, strides=2, padding=1, in_channels=3)
                self.n1 = nn.InstanceNorm(in_channels=4)
                self.res = Res(4)
                self.c2 = nn.Conv2D(3, 3, padding=1, in_channels=4)

        def hybrid_forward(self, F, x):
            y = F.relu(self.n1(self.c1(x)))
            y = self.res(y)
            y = F.UpSampling(y, scale=2, sample_type="nearest")
            return self.c2(y)

    def gram(F, y):
        b, c, h, w = 2, 3, 8, 8
        f = y.reshape((b, c, h * w))
        return F.batch_dot(f, f, transpose_b=True) / (c * h * w)

    net = Net()
    net.initialize()
    rng = np.random.RandomState(0)
    x = mx.nd.array(rng.rand(2, 3, 8, 8))
    style_t = mx.nd.array(rng.rand(2, 3, 3) * 0.1)
    tr = ready(net, (x,), hyb, "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    mse = gluon.loss.L2Loss()

    def style_loss():
        y = net(x)
        return mse(y, x) + 10 * mse(gram(mx.nd, y), style_t)

    losses = train_steps(tr, 2, 3, style_loss)
    return losses, dump(net)


def house(_):
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(1))
    net.initialize()
    rng = np.random.RandomState(0)
    X = rng.rand(20, 6).astype("float32")
    y = (rng.rand(20, 1) * 5 + 1).astype("float32")
    net(mx.nd.array(X[:2]))
    set_params(net)
    tr = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05, "wd": 0.01})
    L2 = gluon.loss.L2Loss()
    it = gluon.data.DataLoader(gluon.data.ArrayDataset(mx.nd.array(X), mx.nd.array(y)), 5, shuffle=False)
    out = []
    for ep in range(2):
        for d, l in it:
            with ag.record():
                L = L2(net(d), l)
            L.backward()
            tr.step(5)
        clipped = mx.nd.clip(net(mx.nd.array(X)), 1, float("inf"))
        out.append(float(mx.nd.sqrt(2 * L2(mx.nd.log(clipped), mx.nd.log(mx.nd.array(y))).mean()).asscalar()))
    return out, dump(net)


def ctc(_):
    net = nn.HybridSequential()
    net.add(nn.Dense(8, flatten=False, activation="tanh"), nn.Dense(5, flatten=False))
    net.initialize()
    rng = np.random.RandomState(0)
    X = mx.nd.array(rng.rand(3, 7, 4))
    lab = mx.nd.array([[1, 2, 3], [2, 2, -1], [4, -1, -1]])
    net(X)
    set_params(net)
    loss = gluon.loss.CTCLoss()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    out = []
    for i in range(3):
        with ag.record():
            L = loss(net(X), lab)
        L.backward()
        tr.step(3)
        out += L.asnumpy().tolist()
    return out, dump(net)


def capsule(_):
    rng = np.random.RandomState(0)
    u = mx.nd.array(rng.randn(2, 6, 4))
    W = mx.nd.array(rng.randn(6, 3, 4, 5) * 0.3)
    W.attach_grad()
    with ag.record():
        uhat = mx.nd.sum(mx.nd.expand_dims(mx.nd.expand_dims(u, 2), 4) * mx.nd.expand_dims(W, 0), axis=3)  # (2,6,3,5)
        b = mx.nd.zeros((2, 6, 3))
        for r in range(3):
            c = mx.nd.softmax(b, axis=2)
            s = mx.nd.sum(mx.nd.expand_dims(c, 3) * uhat, axis=1)
            n2 = mx.nd.sum(s * s, axis=2, keepdims=True)
            v = n2 / (1 + n2) * s / mx.nd.sqrt(n2 + 1e-9)
            if r < 2:
                b = b + mx.nd.sum(uhat * mx.nd.expand_dims(v, 1), axis=3)
        L = mx.nd.sum(mx.nd.norm(v, axis=2))
    L.backward()
    return [float(L.asscalar())], [(W.shape, W.grad.asnumpy())]


def adversary(_):
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    net.initialize()
    rng = np.random.RandomState(0)
    X = mx.nd.array(rng.rand(4, 5))
    Y = mx.nd.array([0, 1, 2, 1])
    net(X)
    set_params(net)
    X.attach_grad()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    with ag.record():
        L = loss(net(X), Y)
    L.backward()
    adv = X + 0.1 * mx.nd.sign(X.grad)
    return [float(loss(net(adv), Y).mean().asscalar())], [(X.shape, X.grad.asnumpy())]


def vae(_):
    class VAE(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.enc = nn.Dense(6, activation="tanh")
                self.mu = nn.Dense(2)
                self.lv = nn.Dense(2)
                self.dec = nn.HybridSequential()
                self.dec.add(nn.Dense(6, activation="tanh"), nn.Dense(10, activation="sigmoid"))

        def hybrid_forward(self, F, x, eps):
            h = self.enc(x)
            mu = self.mu(h)
            lv = self.lv(h)
            z = mu + F.exp(0.5 * lv) * eps
            y = self.dec(z)
            KL = 0.5 * F.sum(1 + lv - mu * mu - F.exp(lv), axis=1)
            logloss = F.sum(x * F.log(y + 1e-10) + (1 - x) * F.log(1 - y + 1e-10), axis=1)
            return -logloss - KL

    net = VAE()
    net.initialize()
    rng = np.random.RandomState(0)
    X = mx.nd.array((rng.rand(8, 10) > 0.5).astype("float32"))
    E = mx.nd.array(rng.randn(8, 2))
    net(X, E)
    set_params(net)
    net.hybridize()
    tr = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    out = train_steps(tr, 8, 3, lambda: net(X, E))
    return out, dump(net)


def textcnn(_):
    V, E, T = 15, 4, 6
    x = mx.sym.Variable("data")
    y = mx.sym.Variable("softmax_label")
    emb = mx.sym.Embedding(data=x, input_dim=V, output_dim=E, name="vocab_embed")
    conv_in = mx.sym.Reshape(data=emb, shape=(-1, 1, T, E))
    pooled = []
    for fs in (2, 3):
        c = mx.sym.Convolution(data=conv_in, kernel=(fs, E), num_filter=3)
        r = mx.sym.Activation(data=c, act_type="relu")
        pooled.append(mx.sym.Pooling(data=r, pool_type="max", kernel=(T - fs + 1, 1), stride=(1, 1)))
    h = mx.sym.Reshape(data=mx.sym.Concat(*pooled, dim=1), shape=(-1, 6))
    h = mx.sym.Dropout(data=h, p=0.0)
    fc = mx.sym.FullyConnected(data=h, num_hidden=2, name="cls")
    sm = mx.sym.SoftmaxOutput(data=fc, label=y, name="softmax")
    rng = np.random.RandomState(0)
    X = rng.randint(0, V, (12, T)).astype("float32")
    Y = rng.randint(0, 2, 12).astype("float32")
    it = mx.io.NDArrayIter(X, Y, 4)
    ex = sm.simple_bind(
        mx.cpu(),
        data=(4, T),
        grad_req={n: "null" if n in ("data", "softmax_label") else "write" for n in sm.list_arguments()},
    )
    rng2 = np.random.RandomState(3)
    for n, a in ex.arg_dict.items():
        if n not in ("data", "softmax_label"):
            a[:] = mx.nd.array(rng2.uniform(-0.3, 0.3, a.shape))
    opt = mx.optimizer.create("rmsprop", learning_rate=0.01, rescale_grad=0.25)
    upd = mx.optimizer.get_updater(opt)
    out = []
    for batch in it:
        ex.arg_dict["data"][:] = batch.data[0]
        ex.arg_dict["softmax_label"][:] = batch.label[0]
        ex.forward(is_train=True)
        ex.backward()
        for i, n in enumerate(sm.list_arguments()):
            if n in ("data", "softmax_label"):
                continue
            upd(i, ex.grad_dict[n], ex.arg_dict[n])
        out.append(float(ex.outputs[0].asnumpy().max()))
    return out, [(a.shape, a.asnumpy()) for n, a in sorted(ex.arg_dict.items())]


def svm(_):
    d = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(d, num_hidden=6, name="fc1")
    h = mx.sym.Activation(h, act_type="relu")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    net = mx.sym.SVMOutput(data=h, name="svm", margin=1.0, regularization_coefficient=1.0, use_linear=False)
    rng = np.random.RandomState(0)
    X = rng.rand(16, 5).astype("float32")
    Y = rng.randint(0, 3, 16).astype("float32")
    it = mx.io.NDArrayIter(X, Y, 8, label_name="svm_label")
    mod = mx.mod.Module(net, label_names=["svm_label"])
    mod.bind(it.provide_data, it.provide_label)
    rng2 = np.random.RandomState(4)
    mod.init_params(
        arg_params={
            n: mx.nd.array(rng2.uniform(-0.5, 0.5, s))
            for n, s in zip(net.list_arguments(), net.infer_shape(data=(8, 5))[0])
            if n not in ("data", "svm_label")
        }
    )
    mod.init_optimizer(
        optimizer="sgd",
        optimizer_params={
            "learning_rate": 0.1,
            "momentum": 0.9,
            "lr_scheduler": mx.lr_scheduler.MultiFactorScheduler([1, 2], 0.5),
        },
    )
    out = []
    for ep in range(2):
        it.reset()
        for b in it:
            mod.forward(b, is_train=True)
            mod.backward()
            mod.update()
            out.append(float(mod.get_outputs()[0].asnumpy().sum()))
    a, _ = mod.get_params()
    return out, [(v.shape, v.asnumpy()) for k, v in sorted(a.items())]


def rnn_sym(_):
    V, H, T, B = 10, 5, 4, 3
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    emb = mx.sym.Embedding(data, input_dim=V, output_dim=4, name="embed")
    cell = mx.rnn.FusedRNNCell(H, num_layers=2, mode="lstm", prefix="lstm_")
    out, _ = cell.unroll(T, inputs=emb, layout="NTC", merge_outputs=True)
    pred = mx.sym.FullyConnected(mx.sym.Reshape(out, shape=(-1, H)), num_hidden=V, name="pred")
    sm = mx.sym.SoftmaxOutput(pred, mx.sym.Reshape(label, shape=(-1,)), name="softmax")
    rng = np.random.RandomState(0)
    X = rng.randint(0, V, (6, T)).astype("float32")
    Y = rng.randint(0, V, (6, T)).astype("float32")
    it = mx.io.NDArrayIter(X, Y, B)
    mod = mx.mod.Module(sm)
    mod.bind(it.provide_data, it.provide_label)
    shapes = dict(zip(sm.list_arguments(), sm.infer_shape(data=(B, T), softmax_label=(B, T))[0]))
    rng2 = np.random.RandomState(5)
    mod.init_params(
        arg_params={
            n: mx.nd.array(rng2.uniform(-0.3, 0.3, s)) for n, s in shapes.items() if n not in ("data", "softmax_label")
        }
    )
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5, "clip_gradient": 0.5})
    m = mx.metric.Perplexity(None)
    out = []
    for b in it:
        mod.forward(b, is_train=True)
        mod.update_metric(m, b.label)
        mod.backward()
        mod.update()
    out.append(m.get()[1])
    a, _ = mod.get_params()
    unpacked = cell.unpack_weights(a)
    return out, [(v.shape, v.asnumpy()) for k, v in sorted(unpacked.items())]


def cells(_):
    class Tagger(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.emb = nn.Embedding(12, 4)
                self.bi = gluon.rnn.BidirectionalCell(
                    gluon.rnn.LSTMCell(5, prefix="l_"), gluon.rnn.GRUCell(5, prefix="r_")
                )
                self.stack = gluon.rnn.HybridSequentialRNNCell()
                self.stack.add(gluon.rnn.ResidualCell(gluon.rnn.RNNCell(10, activation="tanh", prefix="res_")))
                self.out = nn.Dense(3, flatten=False)

        def hybrid_forward(self, F, x):
            e = self.emb(x)
            h, _ = self.bi.unroll(4, e, layout="NTC", merge_outputs=True)
            h, _ = self.stack.unroll(4, h, layout="NTC", merge_outputs=True)
            return self.out(h)

    net = Tagger()
    net.initialize()
    rng = np.random.RandomState(0)
    X = mx.nd.array(rng.randint(0, 12, (3, 4)))
    Y = mx.nd.array(rng.randint(0, 3, (3, 4)))
    tr = ready(net, (X,), True, "adagrad", {"learning_rate": 0.1})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    return train_steps(tr, 3, 3, lambda: loss(net(X), Y)), dump(net)


def losses(_):
    rng = np.random.RandomState(0)
    p = mx.nd.array(rng.randn(4, 5))
    l = mx.nd.array(rng.randn(4, 5))
    lab = mx.nd.array([1, -1, 1, -1])
    out = []
    out += gluon.loss.HuberLoss(rho=0.5)(p, l).asnumpy().tolist()
    out += gluon.loss.HingeLoss()(p[:, 0], lab).asnumpy().tolist()
    out += gluon.loss.SquaredHingeLoss()(p[:, 0], lab).asnumpy().tolist()
    out += gluon.loss.KLDivLoss(from_logits=False)(p, mx.nd.softmax(l)).asnumpy().tolist()
    out += gluon.loss.TripletLoss(margin=1)(p, l, p[::-1]).asnumpy().tolist()
    out += gluon.loss.CosineEmbeddingLoss()(p, l, lab).asnumpy().tolist()
    out += gluon.loss.LogisticLoss(label_format="signed")(p[:, 0], lab).asnumpy().tolist()
    out += gluon.loss.PoissonNLLLoss()(mx.nd.abs(p), mx.nd.abs(l)).asnumpy().ravel().tolist()
    out += gluon.loss.L1Loss(weight=0.5)(p, l, mx.nd.array([[1], [0], [2], [1]])).asnumpy().tolist()
    ms = [
        mx.metric.F1(),
        mx.metric.TopKAccuracy(top_k=2),
        mx.metric.PearsonCorrelation(),
        mx.metric.MAE(),
        mx.metric.RMSE(),
        mx.metric.CrossEntropy(),
        mx.metric.MCC(),
    ]
    comp = mx.metric.CompositeEvalMetric()
    [comp.add(m) for m in ms]
    probs = mx.nd.softmax(mx.nd.array(rng.randn(6, 2)))
    labs = mx.nd.array([0, 1, 1, 0, 1, 1])
    for m in ms:
        if isinstance(m, (mx.metric.MAE, mx.metric.RMSE, mx.metric.PearsonCorrelation)):
            m.update([labs], [probs[:, 1]])
        else:
            m.update([labs], [probs])
    out += [v for _, v in [(n, v) for n, v in zip(*comp.get())]]
    return out, []


def schedulers(_):
    out = []
    for s in [
        mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=0.1, pwr=2, final_lr=0.01, warmup_steps=3),
        mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=0.1, final_lr=0.0, warmup_steps=2, warmup_begin_lr=0.01),
        mx.lr_scheduler.FactorScheduler(step=3, factor=0.5, base_lr=0.1, warmup_steps=2, warmup_mode="constant"),
        mx.lr_scheduler.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=1.0),
    ]:
        out += [s(i) for i in range(1, 12)]
    net = nn.Dense(2, in_units=3)
    net.initialize()
    X = mx.nd.array(np.random.RandomState(0).rand(4, 3))
    tr = ready(
        net,
        (X,),
        False,
        "sgd",
        {
            "learning_rate": 0.1,
            "momentum": 0.9,
            "lr_scheduler": mx.lr_scheduler.CosineScheduler(max_update=5, base_lr=0.2),
        },
    )
    ls = train_steps(tr, 4, 3, lambda: net(X).sum())
    D = tempfile.mkdtemp()
    tr.save_states(D + "/tr.states")
    try:
        tr.set_learning_rate(0.05)
    except UserWarning as e:
        out.append(len(str(e)))
    out.append(tr.learning_rate)
    ls += train_steps(tr, 4, 2, lambda: (net(X) ** 2).sum())
    tr.load_states(D + "/tr.states")
    ls += train_steps(tr, 4, 1, lambda: net(X).sum())
    return out + ls, dump(net)


def export_import(_):
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(), nn.Flatten(), nn.Dense(3)
    )
    net.initialize()
    X = mx.nd.array(np.random.RandomState(0).rand(2, 3, 6, 6))
    tr = ready(net, (X,), True, "sgd", {"learning_rate": 0.1})
    train_steps(tr, 2, 2, lambda: net(X).sum())
    D = tempfile.mkdtemp()
    net.export(D + "/net", epoch=3)
    sb = gluon.SymbolBlock.imports(D + "/net-symbol.json", ["data"], D + "/net-0003.params")
    y1 = sb(X).asnumpy()
    net.save_parameters(D + "/net.params")
    net2 = nn.HybridSequential()
    net2.add(
        nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(), nn.Flatten(), nn.Dense(3)
    )
    net2.load_parameters(D + "/net.params")
    y2 = net2(X).asnumpy()
    sym, a, x = mx.model.load_checkpoint(D + "/net", 3)
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind([("data", X.shape)], for_training=False)
    mod.set_params(a, x)
    mod.forward(mx.io.DataBatch([X], []), is_train=False)
    y3 = mod.get_outputs()[0].asnumpy()
    # fine-tune the imported block
    tr2 = gluon.Trainer(sb.collect_params(), "sgd", {"learning_rate": 0.1})
    ls = train_steps(tr2, 2, 2, lambda: sb(X).sum())
    return y1.ravel().tolist() + y2.ravel().tolist() + y3.ravel().tolist() + ls, dump(sb)


def contrib_blocks(_):
    from importlib import import_module

    cnn = import_module(mx.__name__ + ".gluon.contrib.nn")
    net = nn.HybridSequential()
    conc = cnn.HybridConcurrent(axis=1)
    conc.add(nn.Conv2D(4, 1), nn.Conv2D(4, 3, padding=1), cnn.Identity())
    net.add(
        conc,
        nn.Conv2D(8, 1),
        cnn.PixelShuffle2D(2),
        nn.HybridLambda(lambda F, x: F.relu(x) * 0.5),
        nn.GlobalAvgPool2D(),
        nn.Dense(2),
    )
    net.initialize()
    X = mx.nd.array(np.random.RandomState(0).rand(2, 3, 4, 4))
    tr = ready(net, (X,), True, "nag", {"learning_rate": 0.1, "momentum": 0.9})
    return train_steps(tr, 2, 3, lambda: (net(X) ** 2).sum()), dump(net)


PROGS = {
    "mnist": (mnist, [False, True]),
    "word_lm": (word_lm, ["lstm", "gru", "rnn"]),
    "dcgan": (dcgan, [None]),
    "superres": (superres, [False, True]),
    "mf": (mf, [False, True]),
    "autoenc": (autoenc, [False, True]),
    "multitask": (multitask, [False, True]),
    "estimator": (estimator, [None]),
    "style": (style, [False, True]),
    "house": (house, [None]),
    "ctc": (ctc, [None]),
    "capsule": (capsule, [None]),
    "adversary": (adversary, [None]),
    "vae": (vae, [None]),
    "textcnn": (textcnn, [None]),
    "svm": (svm, [None]),
    "rnn_sym": (rnn_sym, [None]),
    "cells": (cells, [None]),
    "losses": (losses, [None]),
    "schedulers": (schedulers, [None]),
    "export_import": (export_import, [None]),
    "contrib_blocks": (contrib_blocks, [None]),
}


def run_program(name, variant):
    """(values, [[shape, sum, sum of |x|] per parameter]) of one program."""
    fn, _ = PROGS[name]
    mx.random.seed(0)
    values, params = fn(variant)
    # the array's shape: MXNet leaves a SymbolBlock.imports parameter's .shape None
    flat = [float(x) for v in values for x in np.ravel(np.asarray(v, dtype=np.float64))]
    return flat, [[list(v.shape), float(np.sum(v)), float(np.sum(np.abs(v)))] for _, v in params]
