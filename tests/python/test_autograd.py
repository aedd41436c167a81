import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, nd


def test_record_pause_flags():
    assert not autograd.is_recording()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
        assert autograd.is_recording()
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training()
    with autograd.predict_mode():
        assert not autograd.is_training()
    prev = autograd.set_recording(True)
    assert prev is False and autograd.set_recording(False) is True


def test_backward_simple():
    x = mx.nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    with autograd.record():
        y = x * x + 2 * x
        z = y.sum()
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * x.asnumpy() + 2)


def test_head_grads_and_broadcast():
    x = mx.nd.array([1, 2, 3])
    w = mx.nd.array([[1], [2]])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = x * w  # broadcast (2,3)
    y.backward(mx.nd.ones((2, 3)) * 2)
    np.testing.assert_allclose(x.grad.asnumpy(), [6, 6, 6])
    np.testing.assert_allclose(w.grad.asnumpy(), [[12], [12]])


def test_grad_req_add():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = (x * 3).sum()
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [9, 9])


def test_grad_function_and_create_graph():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
        g = autograd.grad(y, [x], head_grads=mx.nd.ones(3), create_graph=True, retain_graph=True)[0]
    np.testing.assert_allclose(g.asnumpy(), 3 * x.asnumpy() ** 2)
    assert x.grad.asnumpy().sum() == 0  # grad() does not write .grad
    g.backward(mx.nd.ones(3))
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy())


def _mish_d1(x):
    sp = np.log1p(np.exp(x))
    return np.tanh(sp) + x / (1 + np.exp(-x)) * (1 - np.tanh(sp) ** 2)


def _central(f, h=1e-5):
    return lambda x: (f(x + h) - f(x - h)) / (2 * h)


_SIG = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731


@pytest.mark.parametrize("fn,d2,rtol", [
    ("tanh", lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), 1e-10),
    ("exp", np.exp, 1e-10),
    ("sigmoid", lambda x: (lambda s: s * (1 - s) * (1 - 2 * s))(_SIG(x)), 1e-10),
    # composed derivatives (act_derivative in core/ops/activation.c), vs analytic f''
    ("softsign", lambda x: -2 * np.sign(x) / (1 + np.abs(x)) ** 3, 1e-10),
    ("log_sigmoid", lambda x: -_SIG(x) * (1 - _SIG(x)), 1e-10),
    ("mish", _central(_mish_d1), 1e-7),
    ("swish", lambda x: 2 * _SIG(x) * (1 - _SIG(x)) + x * _SIG(x) * (1 - _SIG(x)) * (1 - 2 * _SIG(x)), 1e-10),
    ("hard_sigmoid", lambda x: np.zeros_like(x), 0),
    ("rrelu", None, 0)])
def test_second_derivative_through_ops_whose_gradient_reads_the_output(fn, d2, rtol):
    """tanh' = 1 - y^2 and exp' = y read the op's output: with create_graph
    that output must carry the op as its history, or d2 misses its terms. The
    activations whose first derivative is composed from ops get exact d2."""
    xv = np.array([-1.2, -0.3, 0.4, 1.5])
    x = mx.nd.array(xv, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = mx.nd.LeakyReLU(x, act_type="rrelu")[0] if fn == "rrelu" else getattr(mx.nd, fn)(x)
        (g,) = autograd.grad(y.sum(), [x], create_graph=True, retain_graph=True)
    if d2 is None:  # rrelu (random slopes in training): first order only, a clear error after
        assert ((g.asnumpy() == 1) == (xv > 0)).all()
        with pytest.raises(mx.base.MXNetError, match="no gradient defined"):
            g.backward(mx.nd.ones(4, dtype="float64"))
        return
    g.backward(mx.nd.ones(4, dtype="float64"))
    np.testing.assert_allclose(x.grad.asnumpy(), d2(xv), rtol=rtol, atol=1e-12)


def test_slicing_is_recorded():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = (x[1] * 2).sum() + x.reshape((4,))[0]
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[1, 0], [2, 2]])


def test_detach_and_retain_graph():
    x = mx.nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
        z = y.detach() * x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4.0])
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4.0])


def test_custom_function():
    class Sigmoid(autograd.Function):
        def forward(self, x):
            y = 1 / (1 + (-x).exp())
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    x = mx.nd.array([-1.0, 0.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
        z = (y * 2).sum() + (x * 3).sum()  # second path into x
    z.backward()
    s = 1 / (1 + np.exp(-x.asnumpy()))
    np.testing.assert_allclose(y.asnumpy(), s, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * s * (1 - s) + 3, rtol=1e-5)


def test_mark_variables():
    x = mx.nd.array([1.0, 2.0])
    g = mx.nd.zeros(2)
    autograd.mark_variables([x], [g])
    with autograd.record():
        y = (x * x).sum()
    autograd.backward([y])
    np.testing.assert_allclose(g.asnumpy(), [2, 4])


def test_recorded_setitem_full_slice_on_matrix():
    # x[:] = value inside record() on a 2-d array covers the untouched dims
    x = mx.nd.zeros((3, 4))
    v = mx.nd.array(np.arange(12).reshape(3, 4))
    with mx.autograd.record():
        x[:] = v
        x[1:2] = 7.0
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected[1] = 7
    np.testing.assert_array_equal(x.asnumpy(), expected)


def test_function_on_the_core_tape_mixes_with_ops_and_is_released():
    from mxcore.autograd import _live_functions

    class Scale3(mx.autograd.Function):
        def forward(self, x):
            return x * 3

        def backward(self, dy):
            return dy * 3

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = Scale3()(x * x) + x  # d/dx (3x^2 + x) = 6x + 1
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [7.0, 13.0])
    del y
    import gc
    gc.collect()
    assert not _live_functions  # the core released the node's context


def test_function_backward_exception_propagates():
    class Broken(mx.autograd.Function):
        def forward(self, x):
            return x + 1

        def backward(self, dy):
            raise ValueError("boom in backward")

    x = mx.nd.ones((2,))
    x.attach_grad()
    with mx.autograd.record():
        y = Broken()(x)
    with pytest.raises(ValueError, match="boom"):
        y.backward()


def _float64_leaves(xv, pv):
    """x and the parameters as float64 arrays that want gradients."""
    x = mx.nd.array(xv, dtype="float64")
    x.attach_grad()
    p = {k: mx.nd.array(v, dtype="float64") for k, v in pv.items()}
    for v in p.values():
        v.attach_grad()
    return x, p


def _gradient_penalty(xv, pv, forward, grads=False):
    """sum((d forward(x, p) / d x)^2), or its gradients w.r.t. p with grads=True."""
    x, p = _float64_leaves(xv, pv)
    with mx.autograd.record():
        y = forward(x, p)
        gx = mx.autograd.grad(y, [x], create_graph=True)[0]
        gp = (gx * gx).sum()
    if not grads:
        return float(gp.asscalar())
    gp.backward()
    return {k: v.grad.asnumpy() for k, v in p.items()}


def _check_composed_first_order(xv, p0, forward, keys):
    """First-order gradients with create_graph (the composed, differentiable forms) equal
    the plain backward's (the kernels)."""
    x, p = _float64_leaves(xv, p0)
    with mx.autograd.record():
        y = forward(x, p)
    y.backward()
    kernel = [x.grad.asnumpy()] + [p[k].grad.asnumpy() for k in keys]
    x, p = _float64_leaves(xv, p0)
    with mx.autograd.record():
        composed = mx.autograd.grad(forward(x, p), [x] + [p[k] for k in keys], create_graph=True)
    for a, b in zip(composed, kernel):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-9, atol=1e-12)


def _check_against_central_differences(value, analytic, p0, keys, rtol, atol, eps=1e-6):
    """analytic[k] vs (value(p + eps e_i) - value(p - eps e_i)) / 2 eps for every entry of p0[k]."""
    for k in keys:
        num = np.zeros_like(p0[k])
        for idx in np.ndindex(p0[k].shape):
            hi = {kk: vv.copy() for kk, vv in p0.items()}
            lo = {kk: vv.copy() for kk, vv in p0.items()}
            hi[k][idx] += eps
            lo[k][idx] -= eps
            num[idx] = (value(hi) - value(lo)) / (2 * eps)
        np.testing.assert_allclose(analytic[k], num, rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "softrelu", "leaky", "elu", "selu", "gelu", "softsign",
                                 "log_sigmoid", "mish", "hard_sigmoid", "swish"])
@pytest.mark.parametrize("flatten", [True, False])
def test_gradient_penalty_through_fully_connected_and_activations(act, flatten):
    """WGAN-GP: the gradient of sum(d y / d x)^2 w.r.t. the weights needs second
    derivatives through FullyConnected and the activation; checked against central
    finite differences in float64."""
    rs = np.random.RandomState(3)
    shape = (4, 3) if flatten else (2, 2, 3)
    xv = rs.randn(*shape)
    p0 = {"w1": rs.randn(5, 3) * 0.7, "b1": rs.randn(5) * 0.3, "w2": rs.randn(1, 5) * 0.7}

    def forward(x, p):
        h = mx.nd.FullyConnected(x, p["w1"], p["b1"], num_hidden=5, flatten=flatten)
        if act in ("leaky", "elu", "selu", "gelu"):
            h = mx.nd.LeakyReLU(h, act_type=act, slope=0.2)
        elif act in ("hard_sigmoid", "swish"):
            h = getattr(mx.nd, act)(h)
        else:
            h = mx.nd.Activation(h, act_type=act)
        return mx.nd.FullyConnected(h, p["w2"], no_bias=True, num_hidden=1, flatten=flatten)

    _check_against_central_differences(lambda pv: _gradient_penalty(xv, pv, forward),
                                       _gradient_penalty(xv, p0, forward, grads=True), p0, p0, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kernel,stride,pad,dilate,groups", [
    ((3, 3), (1, 1), (0, 0), (1, 1), 1), ((3, 2), (2, 2), (1, 0), (1, 1), 1),
    ((2, 2), (2, 1), (0, 1), (2, 1), 1), ((3, 3), (3, 3), (1, 1), (1, 1), 1),
    ((3, 2), (1, 2), (1, 0), (1, 1), 2),                    # grouped
    ((3,), (2,), (1,), (1,), 1), ((2,), (1,), (0,), (2,), 2),  # 1-D, plain and grouped
    ((2, 2, 2), (1, 2, 1), (0, 1, 0), (1, 1, 1), 1)])       # 3-D
def test_gradient_penalty_through_convolution(kernel, stride, pad, dilate, groups):
    """DCGAN-style critic: conv -> leaky relu -> dense; the create_graph gradients of
    Convolution (built from Deconvolution / Convolution ops) equal the kernel's, and
    the penalty's weight gradients match central finite differences."""
    rs = np.random.RandomState(4)
    xv = rs.randn(*(2, 2) + (7, 6, 5)[:len(kernel)])
    f = 2 * groups if groups > 1 else 3
    attrs = dict(kernel=kernel, stride=stride, pad=pad, dilate=dilate, num_filter=f, num_group=groups)
    wshape = (f, 2 // groups) + kernel
    probe = mx.nd.Convolution(mx.nd.array(xv), mx.nd.ones(wshape), mx.nd.zeros(f), **attrs)
    p0 = {"w": rs.randn(*wshape) * 0.5, "b": rs.randn(f) * 0.2, "v": rs.randn(1, probe.size // 2) * 0.3}

    def run(pv, mode):
        x, p = _float64_leaves(xv, pv)
        with mx.autograd.record():
            h = mx.nd.LeakyReLU(mx.nd.Convolution(x, p["w"], p["b"], **attrs), act_type="leaky", slope=0.2)
            y = mx.nd.FullyConnected(h, p["v"], no_bias=True, num_hidden=1)
            if mode == "first":
                y.backward()
                return x.grad.asnumpy(), p["w"].grad.asnumpy()
            if mode == "composed_first":
                gx, gw = mx.autograd.grad(y, [x, p["w"]], create_graph=True)
                return gx.asnumpy(), gw.asnumpy()
            gx = mx.autograd.grad(y, [x], create_graph=True)[0]
            gp = (gx * gx).sum()
        if mode == "value":
            return float(gp.asscalar())
        gp.backward()
        return {k: v.grad.asnumpy() for k, v in p.items()}

    for composed, kernel_grad in zip(run(p0, "composed_first"), run(p0, "first")):
        np.testing.assert_allclose(composed, kernel_grad, rtol=1e-10, atol=1e-12)
    _check_against_central_differences(lambda pv: run(pv, "value"), run(p0, "grads"), p0, ("w", "b"),
                                       rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pool", [dict(pool_type="avg", kernel=(2, 2), stride=(2, 2)),
                                  dict(pool_type="max", kernel=(2, 2), stride=(2, 2)),
                                  dict(pool_type="max", kernel=(2, 3), stride=(3, 3), pad=(1, 1)),
                                  dict(pool_type="max", kernel=(3, 3), stride=(1, 1)),  # overlapping windows
                                  dict(pool_type="max", kernel=(3, 2), stride=(2, 1), pad=(1, 0)),
                                  dict(pool_type="avg", kernel=(3, 3), stride=(1, 1), pad=(1, 1), count_include_pad=False),
                                  dict(pool_type="sum", kernel=(2, 2), stride=(1, 1)),
                                  dict(pool_type="avg", kernel=(1, 1), global_pool=True)])
def test_gradient_penalty_through_pooling(pool):
    """conv -> tanh -> Pooling -> dense: second derivatives pass through the pooling
    backward (avg/sum: the pooling itself; max: the argmax pick), vs finite differences."""
    rs = np.random.RandomState(6)
    xv = rs.randn(2, 1, 6, 6)
    h_shape = mx.nd.Pooling(mx.nd.ones((2, 2, 4, 4)), **pool).shape
    p0 = {"w": rs.randn(2, 1, 3, 3) * 0.5, "v": rs.randn(1, int(np.prod(h_shape[1:]))) * 0.5}

    def forward(x, p):
        h = mx.nd.tanh(mx.nd.Convolution(x, p["w"], kernel=(3, 3), num_filter=2, no_bias=True))
        return mx.nd.FullyConnected(mx.nd.Pooling(h, **pool), p["v"], no_bias=True, num_hidden=1)

    _check_against_central_differences(lambda pv: _gradient_penalty(xv, pv, forward),
                                       _gradient_penalty(xv, p0, forward, grads=True), p0, p0, rtol=1e-5, atol=1e-7)


def test_max_pool_pick_and_its_gradient():
    """_pool_max_pick (the adjoint of max pooling's backward, used for second-order
    gradients) takes h at each window's first maximum, overlapping windows included;
    its own gradient (third order) is max pooling's backward."""
    rs = np.random.RandomState(0)
    xv = rs.randn(2, 3, 5, 4)
    xv[0, 0, 1, 1] = xv[0, 0, 1, 2] = 9.0  # a tie: the first maximum wins, as in the backward
    hv, rv = rs.randn(*xv.shape), rs.randn(2, 3, 3, 3)
    attrs = dict(kernel=(3, 2), stride=(1, 1), pool_type="max")
    want = np.zeros(rv.shape)
    for n, c, i, j in np.ndindex(*rv.shape):
        win = xv[n, c, i:i + 3, j:j + 2]
        a, b = np.unravel_index(np.argmax(win), win.shape)  # first maximum in row-major order
        want[n, c, i, j] = hv[n, c, i + a, j + b]
    x, h = mx.nd.array(xv, dtype="float64"), mx.nd.array(hv, dtype="float64")
    h.attach_grad()
    with mx.autograd.record():
        out = mx.nd._pool_max_pick(h, x, **attrs)
        (out * mx.nd.array(rv, dtype="float64")).sum().backward()
    np.testing.assert_array_equal(out.asnumpy(), want)
    # d/dh sum(pick(h) * r) = max pooling's backward of r
    x.attach_grad()
    with mx.autograd.record():
        (mx.nd.Pooling(x, **attrs) * mx.nd.array(rv, dtype="float64")).sum().backward()
    np.testing.assert_allclose(h.grad.asnumpy(), x.grad.asnumpy(), rtol=0, atol=0)


def _check_norm_critic(seed, shape, n_params, norm, keys=("gamma", "beta")):
    """Critic tanh -> norm(h, gamma, beta) -> leaky relu -> dense, under create_graph:
    the composed first-order gradients equal the kernels', and the gradient penalty's
    gradients w.r.t. `keys` match central finite differences."""
    rs = np.random.RandomState(seed)
    xv = rs.randn(*shape)
    p0 = {"gamma": rs.rand(n_params) + 0.5, "beta": rs.randn(n_params) * 0.1,
          "v": rs.randn(1, int(np.prod(shape[1:]))) * 0.5}

    def forward(x, p):
        h = norm(mx.nd.tanh(x * 1.5), p["gamma"], p["beta"])
        return mx.nd.FullyConnected(mx.nd.LeakyReLU(h, act_type="leaky", slope=0.2), p["v"], no_bias=True,
                                    num_hidden=1)

    _check_composed_first_order(xv, p0, forward, ("gamma", "beta"))
    _check_against_central_differences(lambda pv: _gradient_penalty(xv, pv, forward),
                                       _gradient_penalty(xv, p0, forward, grads=True), p0, keys,
                                       rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("axis,shape", [(-1, (3, 5)), (1, (2, 3, 4, 4))])
def test_gradient_penalty_through_layer_norm(axis, shape):
    """LayerNorm (the usual normalisation in WGAN-GP critics)."""
    _check_norm_critic(8, shape, shape[axis], lambda h, g, b: mx.nd.LayerNorm(h, g, b, axis=axis, eps=1e-5))


@pytest.mark.parametrize("shape,groups,per_group", [((2, 4, 3), 2, True), ((2, 6, 2, 2), 3, False),
                                                    ((3, 4), 2, True), ((2, 4, 3), 1, False)])
def test_gradient_penalty_through_group_norm(shape, groups, per_group):
    """GroupNorm with gamma per group (MXNet 1.x) or per channel."""
    _check_norm_critic(9, shape, groups if per_group else shape[1],
                       lambda h, g, b: mx.nd.GroupNorm(h, g, b, num_groups=groups, eps=1e-5))


@pytest.mark.parametrize("norm", ["instance", "batch", "batch_fixed_gamma", "batch_global", "batch_global_fixed_gamma"])
def test_gradient_penalty_through_instance_and_batch_norm(norm):
    """InstanceNorm and BatchNorm in training mode, with batch or global statistics."""
    glob = norm.startswith("batch_global")
    # global statistics: fixed moving mean/var (not 0/1, so the affine map is not trivial)
    mean = mx.nd.array([0.3, -0.2] if glob else [0, 0], dtype="float64")
    var = mx.nd.array([1.7, 0.6] if glob else [1, 1], dtype="float64")

    def apply(h, g, b):
        if norm == "instance":
            return mx.nd.InstanceNorm(h, g, b, eps=1e-5)
        return mx.nd.BatchNorm(h, g, b, mean, var, eps=1e-5, use_global_stats=glob,
                               fix_gamma=norm.endswith("fixed_gamma"))

    _check_norm_critic(9, (3, 2, 4, 3), 2, apply, ("beta",) if norm.endswith("fixed_gamma") else ("gamma", "beta"))


@pytest.mark.parametrize("write", ["iadd", "imul", "setitem", "out"])
def test_in_place_write_to_a_recorded_array_is_refused(write):
    """MXNet refuses these (the tape holds the array); writing silently gave a zero gradient."""
    a = nd.array([1, 2, 3])
    a.attach_grad()
    with autograd.record():
        b = a * 1
        with pytest.raises(mx.MXNetError, match="already in a computational graph"):
            if write == "iadd":
                b += 1
            elif write == "imul":
                b *= 2
            elif write == "setitem":
                b[:] = 5
            else:
                nd.elemwise_add(b, b, out=b)
        y = (b * b).sum()  # b is unchanged, so the graph is still right
    y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), [2, 4, 6])
    c = nd.zeros(3)  # a fresh array may be written while recording
    with autograd.record():
        c[:] = 1
        d = a * c
    d.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), [1, 1, 1])


def test_heads_behind_non_differentiable_ops_give_zero_gradients_like_mxnet():
    """MXNet 1.9.1 records argmax/comparisons too: backward from them writes zeros."""
    x = nd.array([[0.1, 0.5, 0.3], [0.9, 0.2, 0.4]])
    x.attach_grad()
    x.grad[:] = 7
    with autograd.record():
        y = nd.argmax(x, axis=1)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), 0)
    a = nd.array([1.0, -2.0, 3.0])
    a.attach_grad()
    with autograd.record():
        g = autograd.grad(nd.relu(a), [a], create_graph=True)[0]
        z = g.sum()
    z.backward()  # relu's gradient does not depend on a: zero second derivative
    np.testing.assert_array_equal(a.grad.asnumpy(), 0)
    b = nd.array([1.0, 2.0])
    b.attach_grad()
    with autograd.record():
        w = b * 2 + (b > 1)  # a comparison on the path adds nothing to the gradient
    w.backward()
    np.testing.assert_array_equal(b.grad.asnumpy(), [2, 2])


def test_fresh_grad_flag_is_mxnets_property():
    """x._fresh_grad (MXNet 1.9.1: 0 after mark_variables, 1 after a backward, 0 once
    cleared; a plain array reads 0) -- it was a method returning the gradient."""
    x = mx.nd.ones((2, 2))
    mx.autograd.mark_variables([x], [mx.nd.zeros((2, 2))])
    assert x._fresh_grad == False  # noqa: E712  (MXNet's tests compare with ==)
    with mx.autograd.record():
        y = (x * 2).sum()
    y.backward()
    assert x._fresh_grad == True  # noqa: E712
    x._fresh_grad = False
    assert x._fresh_grad == False and mx.nd.ones(1)._fresh_grad == False  # noqa: E712
    with pytest.raises(mx.MXNetError):
        x._fresh_grad = True


def test_star_import_gives_ndarray_as_mxnet_did():
    ns = {}
    exec("from mxcore.autograd import *", ns)
    assert ns["NDArray"] is mx.nd.NDArray and "record" in ns
