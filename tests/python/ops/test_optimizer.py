"""optimizer family: fused updates vs hand-written numpy for several steps
(with wd, rescale_grad, clip_gradient), states updated in place, out=weight."""
import numpy as np
import pytest

from harness import _attr_str, check, expect_error, ffi, from_mx, invoke_handles, lib, run_op, to_mx

rng = np.random.default_rng(0)
SHAPES = [(5,), (3, 4), (0, 3), (70000,)]


def invoke_out(name, handles, attrs, outs):
    """Invoke with caller-provided outputs (the out= form)."""
    keys = [ffi.new("char[]", k.encode()) for k in attrs]
    vals = [ffi.new("char[]", _attr_str(v).encode()) for v in attrs.values()]
    o = ffi.new("mx_tensor[]", list(outs))
    n = ffi.new("int *", len(outs))
    check(lib.mx_invoke_by_name(name.encode(), ffi.new("mx_tensor[]", list(handles)), len(handles),
                                ffi.new("const char *[]", keys or [ffi.NULL]),
                                ffi.new("const char *[]", vals or [ffi.NULL]), len(keys), o, len(outs), n))


def clipg(g, c):
    return np.clip(g, -c, c) if c >= 0 else g


def ref_sgd(w, g, lr, wd=0, rescale_grad=1, clip_gradient=-1, **_):
    return [(1 - lr * wd) * w - lr * clipg(rescale_grad * g, clip_gradient)]


def ref_sgd_mom(w, g, m, lr, momentum=0, wd=0, rescale_grad=1, clip_gradient=-1, **_):
    m = momentum * m - lr * wd * w - lr * clipg(rescale_grad * g, clip_gradient)
    return [w + m, m]


def ref_nag(w, g, m, lr, momentum=0, wd=0, rescale_grad=1, clip_gradient=-1):
    # MXNet's velocity form; run with out=weight, the state's decay term sees the new weight
    gc = clipg(rescale_grad * g, clip_gradient)
    w1 = w + momentum * (momentum * m - lr * (gc + wd * w)) - lr * (gc + wd * w)
    return [w1, momentum * m - lr * (gc + wd * w1)]


def ref_adam(w, g, m, v, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0, rescale_grad=1, clip_gradient=-1, **_):
    gr = clipg(rescale_grad * g + wd * w, clip_gradient)
    m = beta1 * m + (1 - beta1) * gr
    v = beta2 * v + (1 - beta2) * gr * gr
    return [w - lr * m / (np.sqrt(v) + epsilon), m, v]


def ref_rmsprop(w, g, n, lr, gamma1=0.95, epsilon=1e-8, wd=0, rescale_grad=1, clip_gradient=-1, clip_weights=-1):
    gr = clipg(rescale_grad * g + wd * w, clip_gradient)
    n = (1 - gamma1) * gr * gr + gamma1 * n
    w = w - lr * gr / np.sqrt(n + epsilon)
    if clip_weights >= 0:
        w = np.clip(w, -clip_weights, clip_weights)
    return [w, n]


def ref_rmspropalex(w, g, n, gb, d, lr, gamma1=0.95, gamma2=0.9, epsilon=1e-8, wd=0, rescale_grad=1,
                    clip_gradient=-1, clip_weights=-1):
    gr = clipg(rescale_grad * g + wd * w, clip_gradient)
    n = (1 - gamma1) * gr * gr + gamma1 * n
    gb = (1 - gamma1) * gr + gamma1 * gb
    d = gamma2 * d - lr * gr / np.sqrt(n - gb * gb + epsilon)
    w = w + d
    if clip_weights >= 0:
        w = np.clip(w, -clip_weights, clip_weights)
    return [w, n, gb, d]


def ref_adagrad(w, g, h, lr, epsilon=1e-7, wd=0, rescale_grad=1, clip_gradient=-1):
    gr = clipg(rescale_grad * g, clip_gradient) + wd * w
    h = h + gr * gr
    return [w - lr * gr / (np.sqrt(h) + epsilon), h]


def ref_adadelta(w, g, ag, ad, rho=0.9, epsilon=1e-5, wd=0, rescale_grad=1, clip_gradient=-1):
    gr = clipg(rescale_grad * g, clip_gradient)
    ag = rho * ag + (1 - rho) * gr * gr
    cd = np.sqrt(ad + epsilon) / np.sqrt(ag + epsilon) * gr
    ad = rho * ad + (1 - rho) * cd * cd
    return [w - (cd + wd * w), ag, ad]


def ref_ftrl(w, g, z, n, lr, lamda1=0.01, beta=1.0, wd=0, rescale_grad=1, clip_gradient=-1):
    gr = clipg(rescale_grad * g, clip_gradient)
    z = z + gr - (np.sqrt(n + gr * gr) - np.sqrt(n)) * w / lr
    n = n + gr * gr
    w = np.where(np.abs(z) > lamda1, (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd), 0)
    return [w, z, n]


def ref_signsgd(w, g, lr, wd=0, rescale_grad=1, clip_gradient=-1):
    return [(1 - lr * wd) * w - lr * np.sign(g)]


def ref_signum(w, g, m, lr, momentum=0, wd=0, rescale_grad=1, clip_gradient=-1, wd_lh=0):
    m = momentum * m - (1 - momentum) * wd * w - (1 - momentum) * clipg(rescale_grad * g, clip_gradient)
    return [(1 - lr * wd_lh) * w + lr * np.sign(m), m]


def ref_lamb1(w, g, m, v, t, beta1=0.9, beta2=0.999, epsilon=1e-6, bias_correction=True, wd=0, rescale_grad=1,
              clip_gradient=-1):
    gr = clipg(rescale_grad * g, clip_gradient)
    m = beta1 * m + (1 - beta1) * gr
    v = beta2 * v + (1 - beta2) * gr * gr
    mh, vh = (m / (1 - beta1**t), v / (1 - beta2**t)) if bias_correction else (m, v)
    return [mh / (np.sqrt(vh) + epsilon) + wd * w, m, v]


# name, reference, number of states, attrs, positive states (sqrt of them)
CASES = [
    ("sgd_update", ref_sgd, 0, {"lr": 0.1, "wd": 0.01, "rescale_grad": 0.5, "clip_gradient": 0.3}),
    ("sgd_update", ref_sgd, 0, {"lr": 0.2}),
    ("sgd_mom_update", ref_sgd_mom, 1, {"lr": 0.1, "momentum": 0.9, "wd": 0.01, "rescale_grad": 2.0,
                                        "clip_gradient": 0.5}),
    ("nag_mom_update", ref_nag, 1, {"lr": 0.1, "momentum": 0.9, "wd": 0.02, "rescale_grad": 0.5,
                                    "clip_gradient": 0.4}),
    ("adam_update", ref_adam, 2, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "wd": 0.1,
                                  "rescale_grad": 0.7, "clip_gradient": 0.5}),
    ("adam_update", ref_adam, 2, {"lr": 0.01}),
    ("rmsprop_update", ref_rmsprop, 1, {"lr": 0.01, "gamma1": 0.9, "epsilon": 1e-6, "wd": 0.1, "rescale_grad": 0.5,
                                        "clip_gradient": 0.6, "clip_weights": 0.8}),
    ("rmspropalex_update", ref_rmspropalex, 3, {"lr": 0.01, "gamma1": 0.9, "gamma2": 0.8, "epsilon": 1e-4,
                                                "wd": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.6,
                                                "clip_weights": 0.9}),
    ("adagrad_update", ref_adagrad, 1, {"lr": 0.1, "epsilon": 1e-6, "wd": 0.01, "rescale_grad": 2.0,
                                        "clip_gradient": 1.0}),
    ("_sparse_adagrad_update", ref_adagrad, 1, {"lr": 0.1}),
    ("adadelta_update", ref_adadelta, 2, {"rho": 0.8, "epsilon": 1e-4, "wd": 0.01, "rescale_grad": 0.5,
                                          "clip_gradient": 0.3}),
    ("ftrl_update", ref_ftrl, 2, {"lr": 0.1, "lamda1": 0.05, "beta": 0.5, "wd": 0.01, "rescale_grad": 0.5,
                                  "clip_gradient": 0.4}),
    ("signsgd_update", ref_signsgd, 0, {"lr": 0.1, "wd": 0.05, "rescale_grad": 0.5, "clip_gradient": 0.1}),
    ("signum_update", ref_signum, 1, {"lr": 0.1, "momentum": 0.9, "wd": 0.05, "rescale_grad": 0.5,
                                      "clip_gradient": 0.2, "wd_lh": 0.01}),
    ("lamb_update_phase1", ref_lamb1, 2, {"t": 3, "beta1": 0.8, "beta2": 0.9, "epsilon": 1e-5, "wd": 0.1,
                                          "rescale_grad": 0.5, "clip_gradient": 0.4}),
    ("lamb_update_phase1", ref_lamb1, 2, {"t": 1, "bias_correction": False}),
]


def init_states(name, shape, n, dtype):
    if name in ("rmspropalex_update",):
        # n must dominate g^2 so the sqrt stays real: n >= g^2
        gb = rng.uniform(-0.1, 0.1, shape)
        return [x.astype(dtype) for x in [np.abs(rng.standard_normal(shape)) + 0.1, gb, rng.standard_normal(shape) * 0.01]]
    states = []
    for k in range(n):
        s = rng.standard_normal(shape)
        if name in ("adam_update", "lamb_update_phase1") and k == 1 or name in ("rmsprop_update", "adagrad_update",
                                                                              "_sparse_adagrad_update",
                                                                              "adadelta_update") \
                or name == "ftrl_update" and k == 1:
            s = np.abs(s)
        states.append(s * 0.1)
    return [s.astype(dtype) for s in states]


@pytest.mark.parametrize("name,ref,nstates,attrs", CASES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_update_steps_inplace(name, ref, nstates, attrs, dtype, shape):
    """float16 weights and state: the float32 kernels run on converted copies
    and the state is written back in place (one rounding to half per step)."""
    if dtype == np.float16 and name in ("signum_update", "signsgd_update"):
        pytest.skip("sign() of a value rounded to half flips near zero")
    w = rng.standard_normal(shape).astype(dtype)
    states = init_states(name, shape, nstates, dtype)
    hw = to_mx(w)
    hs = [to_mx(s) for s in states]
    tol = {np.float16: dict(rtol=5e-3, atol=5e-3), np.float32: dict(rtol=1e-4, atol=1e-5),
           np.float64: dict(rtol=1e-9, atol=1e-12)}[dtype]
    is_phase1 = name == "lamb_update_phase1"
    kw = {k: v for k, v in attrs.items()}
    t = kw.pop("t", None)
    for step in range(3):
        g = rng.standard_normal(shape).astype(dtype)
        hg = to_mx(g)
        args = [w.astype(np.float64), g.astype(np.float64)] + [s.astype(np.float64) for s in states]
        want = ref(*args, t, **kw) if is_phase1 else ref(*args, **kw)
        if is_phase1:
            out = from_mx(invoke_handles(name, [hw, hg] + hs, attrs)[0])
        else:
            invoke_out(name, [hw, hg] + hs, attrs, [hw])  # out=weight
            out = from_mx(hw)
        assert out.dtype == dtype and out.shape == shape
        np.testing.assert_allclose(out, want[0], **tol, err_msg=f"{name} step {step} weight")
        for k, h in enumerate(hs):  # states changed in place
            np.testing.assert_allclose(from_mx(h), want[k + 1], **tol, err_msg=f"{name} step {step} state {k}")
        if not is_phase1:
            w = want[0].astype(dtype)
        states = [s.astype(dtype) for s in want[1:]]


def test_functional_form_and_defaults():
    w, g = rng.standard_normal(10), rng.standard_normal(10)
    out = run_op("sgd_update", [w, g], {"lr": 0.5, "lazy_update": False})[0]
    np.testing.assert_allclose(out, w - 0.5 * g)
    m = np.zeros(10)
    out = run_op("sgd_mom_update", [w, g, m], {"lr": 0.5})[0]
    np.testing.assert_allclose(out, w - 0.5 * g)
    # float16 weight/grad/state: weight and grad go through float32, states must match
    w16 = w.astype(np.float16)
    out = run_op("sgd_update", [w16, g.astype(np.float16)], {"lr": 0.5})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype(np.float64), w16.astype(np.float64) - 0.5 * g.astype(np.float16),
                               rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("name", ["adamw_update", "_adamw_update"])
def test_adamw(name):
    shape = (4, 5)
    w = rng.standard_normal(shape)
    m, v = np.zeros(shape), np.zeros(shape)
    hw, hm, hv = to_mx(w), to_mx(m), to_mx(v)
    attrs = {"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "epsilon": 1e-6, "wd": 0.1, "eta": 0.5, "clip_gradient": 0.5}
    for step in range(3):
        g = rng.standard_normal(shape)
        rs = 0.7
        invoke_out(name, [hw, to_mx(g), hm, hv, to_mx(np.array([rs]))], attrs, [hw])
        gr = np.clip(rs * g, -0.5, 0.5)
        m = 0.8 * m + 0.2 * gr
        v = 0.9 * v + 0.1 * gr * gr
        w = w - 0.5 * (0.01 * m / (np.sqrt(v) + 1e-6) + 0.1 * w)
        np.testing.assert_allclose(from_mx(hw), w, rtol=1e-10)
        np.testing.assert_allclose(from_mx(hm), m, rtol=1e-10)
        np.testing.assert_allclose(from_mx(hv), v, rtol=1e-10)
    # non-finite rescale_grad skips the update
    invoke_out(name, [hw, to_mx(g), hm, hv, to_mx(np.array([np.inf]))], attrs, [hw])
    np.testing.assert_allclose(from_mx(hw), w)
    np.testing.assert_allclose(from_mx(hm), m)


def test_lamb_phase2():
    w, g = rng.standard_normal(8), rng.standard_normal(8)
    r1, r2 = np.array([np.linalg.norm(w)]), np.array([np.linalg.norm(g)])
    out = run_op("lamb_update_phase2", [w, g, r1, r2], {"lr": 0.1})[0]
    np.testing.assert_allclose(out, w - 0.1 * r1[0] / r2[0] * g)
    out = run_op("lamb_update_phase2", [w, g, r1, r2], {"lr": 0.1, "lower_bound": 5.0, "upper_bound": 6.0})[0]
    np.testing.assert_allclose(out, w - 0.1 * np.clip(r1[0], 5, 6) / r2[0] * g)
    out = run_op("lamb_update_phase2", [w, g, np.zeros(1), r2], {"lr": 0.1})[0]
    np.testing.assert_allclose(out, w - 0.1 * g)
    expect_error("lamb_update_phase2", [w, g, np.zeros(2), r2], {"lr": 0.1}, contains=("lamb_update_phase2", "r1"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multi_sgd(dtype):
    shapes = [(3,), (2, 4), (5, 1)]
    ws = [rng.standard_normal(s).astype(dtype) for s in shapes]
    gs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ms = [rng.standard_normal(s).astype(dtype) for s in shapes]
    lrs, wds = (0.1, 0.2, 0.3), (0.0, 0.01, 0.02)
    tol = dict(rtol=1e-5, atol=1e-6)
    common = {"rescale_grad": 0.5, "clip_gradient": 0.4, "num_weights": 3, "lrs": lrs, "wds": wds}
    ins = [x for trip in zip(ws, gs) for x in trip]
    outs = run_op("multi_sgd_update", ins, common)
    assert len(outs) == 3
    for k in range(3):
        np.testing.assert_allclose(outs[k], ref_sgd(ws[k], gs[k], lrs[k], wds[k], 0.5, 0.4)[0], **tol)
    hs = [to_mx(x) for trip in zip(ws, gs, ms) for x in trip]
    attrs = dict(common, momentum=0.9)
    invoke_out("multi_sgd_mom_update", hs, attrs, [hs[0], hs[3], hs[6]])
    for k in range(3):
        w_new, m_new = ref_sgd_mom(ws[k], gs[k], ms[k], lrs[k], 0.9, wds[k], 0.5, 0.4)
        np.testing.assert_allclose(from_mx(hs[3 * k]), w_new, **tol)
        np.testing.assert_allclose(from_mx(hs[3 * k + 2]), m_new, **tol)
    expect_error("multi_sgd_update", ins, dict(common, lrs=(0.1, 0.2)), contains=("multi_sgd_update", "lrs"))
    expect_error("multi_sgd_update", ins[:4], common, contains=("multi_sgd_update",))
    bad = list(ins)
    bad[1] = np.zeros((4,), dtype)
    expect_error("multi_sgd_update", bad, common, contains=("multi_sgd_update", "(4,)", "(3,)"))


def test_optimizer_errors():
    w = np.zeros((2, 3))
    expect_error("sgd_update", [w, np.zeros((3, 2))], {"lr": 0.1}, contains=("sgd_update", "(3,2)", "(2,3)"))
    expect_error("sgd_update", [w, w], {}, contains=("sgd_update", "lr"))
    expect_error("adam_update", [w, w, w], {"lr": 0.1}, contains=("adam_update",))
    expect_error("adam_update", [w, w, np.zeros((2, 3), np.float16), w], {"lr": 0.1},
                 contains=("adam_update", "float16"))
    expect_error("sgd_mom_update", [w, w, np.zeros(6)], {"lr": 0.1}, contains=("sgd_mom_update", "(6,)"))
    expect_error("_adamw_update", [w, w, w, w, np.ones(2)], {"lr": 0.1, "eta": 1.0},
                 contains=("adamw_update", "rescale_grad"))
    expect_error("ftrl_update", [w, w, w, w], {"lr": 0.1, "bogus": 1}, contains=("ftrl_update", "bogus"))


def test_mp_sgd_updates_the_float32_master():
    # MXNet 1.9.1: three mp_sgd_mom_update steps with out=weight on a float16 weight
    w = to_mx(np.array([1.0, -0.5, 0.25], np.float16))
    mom, w32 = to_mx(np.zeros(3, np.float32)), to_mx(np.array([1.0, -0.5, 0.25], np.float32))
    attrs = {"lr": 0.1, "momentum": 0.9, "wd": 0.01, "rescale_grad": 2.0, "clip_gradient": 0.3}
    for _ in range(3):
        invoke_out("mp_sgd_mom_update", [w, to_mx(np.array([0.1, 0.2, -0.3], np.float16)), mom, w32], attrs, [w])
    got = from_mx(w)
    assert got.dtype == np.float16 and got.tolist() == [0.88232421875, -0.66552734375, 0.416748046875]
    np.testing.assert_allclose(from_mx(mom), [-0.056817, -0.079833, 0.080509], rtol=1e-4)
    np.testing.assert_allclose(from_mx(w32), [0.88231814, -0.66535342, 0.41675472], rtol=1e-6)
    w32 = np.array([1.0, -0.5, 0.25], np.float32)
    h32 = to_mx(w32)
    out = from_mx(invoke_handles("mp_sgd_update", [to_mx(w32.astype(np.float16)),
                                                   to_mx(np.array([0.1, 0.2, -0.3], np.float16)), h32],
                                 {"lr": 0.1, "wd": 0.1})[0])
    assert out.dtype == np.float16 and out.tolist() == [0.97998046875, -0.51513671875, 0.277587890625]
    np.testing.assert_allclose(from_mx(h32), [0.98000246, -0.5149951, 0.2775049], rtol=1e-6)
    expect_error("mp_sgd_update", [np.ones(2, np.float16), np.ones(2, np.float16), np.ones(3, np.float32)],
                 {"lr": 0.1}, contains=("mp_sgd_update", "shape"))


def test_multi_mp_sgd_updates_match_mxnet():
    """multi_mp_sgd_update / multi_mp_sgd_mom_update: float16 weights, float32 masters
    (and momenta) updated in place; values printed by MXNet 1.9.1 for these inputs."""
    import mxcore as mx
    rs = np.random.RandomState(0)
    shapes = [(3, 4), (5,)]
    w32 = [rs.randn(*s).astype("float32") for s in shapes]
    g = [rs.randn(*s).astype("float16") for s in shapes]
    mom = [rs.randn(*s).astype("float32") for s in shapes]
    grads = [mx.nd.array(x, dtype="float16") for x in g]
    w = [mx.nd.array(x, dtype="float16") for x in w32]
    masters = [mx.nd.array(x) for x in w32]
    flat = [a for grp in zip(w, grads, masters) for a in grp]
    mp_sgd, mp_sgd_mom = (getattr(mx.nd, n) for n in ("multi_mp_sgd_update", "multi_mp_sgd_mom_update"))
    out = mp_sgd(*flat, out=w, lrs=(0.1, 0.2), wds=(0.01, 0.0), rescale_grad=0.5, clip_gradient=0.8, num_weights=2)
    assert [o.dtype for o in out] == [np.float16, np.float16]
    np.testing.assert_allclose(w[0].asnumpy().ravel()[:6], [1.7725, 0.384, 1.0205, 2.3184, 1.833, -1.0195], atol=1e-3)
    np.testing.assert_allclose(masters[1].asnumpy(), [0.61407, 0.10618, 0.40605, 0.42244, 1.65408], atol=1e-5)
    w = [mx.nd.array(x, dtype="float16") for x in w32]
    masters = [mx.nd.array(x) for x in w32]
    moms = [mx.nd.array(x) for x in mom]
    flat = [a for grp in zip(w, grads, moms, masters) for a in grp]
    mp_sgd_mom(*flat, out=w, lrs=(0.1, 0.2), wds=(0.01, 0.0), momentum=0.9, rescale_grad=0.5, num_weights=2)
    np.testing.assert_allclose(w[0].asnumpy().ravel()[:6], [1.459, 0.525, 2.127, 3.449, 1.484, -1.292], atol=2e-3)
    np.testing.assert_allclose(moms[1].asnumpy(), [-1.27449, 0.68425, -1.49033, -0.1027, -0.60787], atol=1e-5)
    np.testing.assert_allclose(masters[0].asnumpy().ravel()[:4], [1.45943, 0.52482, 2.12772, 3.44843], atol=1e-5)
    with pytest.raises(mx.MXNetError, match="weight32.*float32"):
        bad = [w[0], grads[0], mx.nd.array(w32[0], dtype="float16")]
        mp_sgd(*bad, lrs=(0.1,), wds=(0.0,), num_weights=1)


def test_preloaded_multi_sgd_and_mp_nag_match_mxnet():
    """preloaded_multi_[mp_]sgd[_mom]_update take lrs/wds as the last two inputs; mp_nag_mom_update's
    momentum reads the new master weight; values printed by MXNet 1.9.1 for these inputs."""
    import mxcore as mx
    ops = {n: getattr(mx.nd, n) for n in ("preloaded_multi_sgd_update", "preloaded_multi_sgd_mom_update",
                                          "preloaded_multi_mp_sgd_update", "preloaded_multi_mp_sgd_mom_update",
                                          "mp_nag_mom_update")}
    rs = np.random.RandomState(1)
    shapes = [(3, 4), (5,)]
    w = [rs.randn(*s).astype("float32") for s in shapes]
    g = [rs.randn(*s).astype("float32") for s in shapes]
    m = [rs.randn(*s).astype("float32") for s in shapes]
    lrs, wds = mx.nd.array([0.1, 0.2]), mx.nd.array([0.01, 0.0])
    grads = [mx.nd.array(x) for x in g]
    weights = [mx.nd.array(x) for x in w]
    ops["preloaded_multi_sgd_update"](*[a for p in zip(weights, grads) for a in p], lrs, wds, out=weights,
                                      rescale_grad=0.5, clip_gradient=0.8, num_weights=2)
    np.testing.assert_allclose(weights[1].asnumpy(), [-0.37545, -0.31489, 1.17344, -1.03117, -0.08791], atol=1e-5)
    weights, moms = [mx.nd.array(x) for x in w], [mx.nd.array(x) for x in m]
    ops["preloaded_multi_sgd_mom_update"](*[a for p in zip(weights, grads, moms) for a in p], lrs, wds, out=weights,
                                          momentum=0.9, rescale_grad=0.5, num_weights=2)
    np.testing.assert_allclose(weights[1].asnumpy(), [-0.20363, 1.57534, 1.28159, -0.47569, 0.18225], atol=1e-5)
    np.testing.assert_allclose(moms[0].asnumpy().ravel()[:4], [-0.56185, -0.0129, -1.03419, 0.26708], atol=1e-5)
    w16 = [mx.nd.array(x, dtype="float16") for x in w]
    g16 = [mx.nd.array(x, dtype="float16") for x in g]
    masters = [mx.nd.array(x) for x in w]
    ops["preloaded_multi_mp_sgd_update"](*[a for p in zip(w16, g16, masters) for a in p], lrs, wds, out=w16,
                                         rescale_grad=0.5, num_weights=2)
    assert w16[0].dtype == np.float16
    np.testing.assert_allclose(masters[1].asnumpy(), [-0.37544, -0.31486, 1.17344, -1.03119, -0.08791], atol=1e-5)
    w16, masters, moms = ([mx.nd.array(x, dtype="float16") for x in w], [mx.nd.array(x) for x in w],
                          [mx.nd.array(x) for x in m])
    ops["preloaded_multi_mp_sgd_mom_update"](*[a for p in zip(w16, g16, moms, masters) for a in p], lrs, wds,
                                             out=w16, momentum=0.9, rescale_grad=0.5, num_weights=2)
    np.testing.assert_allclose(masters[0].asnumpy().ravel()[:4], [1.0625, -0.62465, -1.56237, -0.80589], atol=1e-5)
    np.testing.assert_allclose(moms[1].asnumpy(), [0.1188, 1.95942, 0.14782, 0.62418, 0.35467], atol=1e-5)
    with pytest.raises(mx.MXNetError, match="lrs.*num_weights=2"):
        ops["preloaded_multi_sgd_update"](*[a for p in zip(weights, grads) for a in p], mx.nd.array([0.1]), wds,
                                          num_weights=2)
    rs = np.random.RandomState(2)
    w, g, m = (rs.randn(6).astype("float32") for _ in range(3))
    weight, master, mom = mx.nd.array(w, dtype="float16"), mx.nd.array(w), mx.nd.array(m)
    ops["mp_nag_mom_update"](weight, mx.nd.array(g, dtype="float16"), mom, master, out=weight, lr=0.1,
                             momentum=0.9, wd=0.01, rescale_grad=0.5, clip_gradient=0.7)
    np.testing.assert_allclose(master.asnumpy(), [-0.4301, -0.84339, -1.59503, 1.24064, -1.85789, -0.0214], atol=1e-5)
    np.testing.assert_allclose(mom.asnumpy(), [0.01267, -0.94303, 0.53963, -0.49233, -0.04292, 0.98752], atol=1e-5)


def test_ftml_update_matches_mxnet():
    """ftml_update: d, v, z updated in place; values printed by MXNet 1.9.1."""
    import mxcore as mx
    rs = np.random.RandomState(3)
    arrays = [rs.rand(6).astype("float32") + 0.1 for _ in range(5)]
    w, g, d, v, z = (mx.nd.array(x) for x in arrays)
    getattr(mx.nd, "ftml_update")(w, g, d, v, z, out=w, lr=0.05, beta1=0.6, beta2=0.99, epsilon=1e-6, t=3, wd=0.01,
                                  rescale_grad=0.5, clip_grad=0.3)
    np.testing.assert_allclose(w.asnumpy(), [0.6374, 0.7962, 0.38274, 0.60392, 0.98699, 0.97168], atol=1e-5)
    np.testing.assert_allclose(d.asnumpy(), [54.27065, 64.9884, 56.06753, 80.66106, 66.55493, 45.95598], rtol=1e-5)
    np.testing.assert_allclose(v.asnumpy(), [0.3558, 0.51021, 0.37975, 0.78597, 0.53511, 0.25513], atol=1e-5)
    np.testing.assert_allclose(z.asnumpy(), [-34.59219, -51.74384, -21.45932, -48.71303, -65.68892, -44.6546],
                               rtol=1e-5)


def test_mp_adamw_update_matches_mxnet():
    """contrib.mp_adamw_update: float16 weight, float32 master, mean and var in place; values printed by
    MXNet 1.9.1."""
    import mxcore as mx
    rs = np.random.RandomState(5)
    w, g, m, v = (rs.rand(6).astype("float32") for _ in range(4))
    weight, mean, var, master = mx.nd.array(w, dtype="float16"), mx.nd.array(m), mx.nd.array(v), mx.nd.array(w)
    update = getattr(mx.nd.contrib, "mp_adamw_update")
    update(weight, mx.nd.array(g, dtype="float16"), mean, var, master, mx.nd.array([0.5]), out=weight, lr=0.1, eta=0.7,
           wd=0.01, beta1=0.8, beta2=0.95, epsilon=1e-6, clip_gradient=0.3)
    assert weight.dtype == np.float16
    np.testing.assert_allclose(mean.asnumpy(), [0.41305, 0.1785, 0.73364, 0.23804, 0.33946, 0.29686], atol=1e-5)
    np.testing.assert_allclose(var.asnumpy(), [0.60185, 0.55421, 0.57103, 0.25297, 0.27053, 0.24541], atol=1e-5)
    np.testing.assert_allclose(master.asnumpy(), [0.18317, 0.84785, 0.13731, 0.87905, 0.43931, 0.56551], atol=1e-5)
    np.testing.assert_allclose(weight.asnumpy(), master.asnumpy(), atol=1e-3)


def test_mp_lamb_phases_match_mxnet():
    """mp_lamb_update_phase1/2: float16 weight, float32 master. Values printed by MXNet 1.9.1; one
    difference on purpose: MXNet 1.9.1 leaves weight32 unchanged after phase 2 although its documentation
    (and the returned weight) say weight32 = weight32 - lr * g; the master here takes the update."""
    import mxcore as mx
    rs = np.random.RandomState(6)
    w, gr, m, v = (rs.rand(6).astype("float32") for _ in range(4))
    weight, mean, var, master = mx.nd.array(w, dtype="float16"), mx.nd.array(m), mx.nd.array(v), mx.nd.array(w)
    phase1, phase2 = (getattr(mx.nd, n) for n in ("mp_lamb_update_phase1", "mp_lamb_update_phase2"))
    g = phase1(weight, mx.nd.array(gr, dtype="float16"), mean, var, master, beta1=0.8, beta2=0.95, epsilon=1e-6, t=2,
               wd=0.01, rescale_grad=0.5, clip_gradient=0.3)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.asnumpy(), [0.45234, 0.49773, 2.07666, 0.89205, 0.6952, 0.40967], atol=1e-5)
    np.testing.assert_allclose(mean.asnumpy(), [0.46741, 0.50496, 0.54983, 0.85218, 0.69971, 0.39056], atol=1e-5)
    np.testing.assert_allclose(var.asnumpy(), [0.83596, 0.78476, 0.05316, 0.68721, 0.76446, 0.70409], atol=1e-5)
    phase2(weight, g, mx.nd.array([0.7]), mx.nd.array([1.3]), master, out=weight, lr=0.1, lower_bound=0.1,
           upper_bound=5.0)
    assert weight.dtype == np.float16
    want = [0.869, 0.305, 0.709, -0.006, 0.07, 0.573]
    np.testing.assert_allclose(weight.asnumpy(), want, atol=2e-3)
    np.testing.assert_allclose(master.asnumpy(), w - 0.1 * (0.7 / 1.3) * g.asnumpy(), rtol=1e-6)
