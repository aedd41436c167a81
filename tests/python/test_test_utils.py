"""mx.test_utils (MXNet 1.9.1's helpers for users' own op/layer tests): tolerance tables,
assert_almost_equal's messages, the symbolic checkers -- including that
check_numeric_gradient catches a wrong backward -- and the smaller helpers. Expected
strings and numbers were printed by MXNet 1.9.1."""
import os
import sys

import numpy as np
import pytest

import mxcore as mx
from mxcore import nd
from mxcore import test_utils as tu


# ---------------------------------------------------------------- tolerances

def test_default_tolerance_tables_are_mxnets():
    f16, f32, f64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
    assert (tu.default_rtols()[f16], tu.default_rtols()[f32], tu.default_rtols()[f64]) == (1e-2, 1e-4, 1e-5)
    assert (tu.default_atols()[f16], tu.default_atols()[f32], tu.default_atols()[f64]) == (1e-1, 1e-3, 1e-20)
    eps = tu.default_numeric_eps()
    assert (eps[f16], eps[f32], eps[f64]) == (1 / 64, 1 / 512, 1 / 16384)
    for t in (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64):
        assert tu.default_rtols()[np.dtype(t)] == 0 and tu.default_atols()[np.dtype(t)] == 0
    assert tu.default_dtype() is np.float32


def test_get_tols_takes_the_looser_dtype_and_honours_overrides():
    # MXNet 1.9.1: get_tols(np.float16(1), np.ones(2, float32), None, None) == (0.01, 0.1)
    assert tu.get_tols(np.ones(2, np.float16), np.ones(2, np.float32), None, None) == (0.01, 0.1)
    assert tu.get_tols(nd.ones((2,)), np.ones(2), None, None) == (1e-4, 1e-3)
    assert tu.get_tols(1.0, 2.0, 0.5, 0.25) == (0.5, 0.25)
    assert tu.get_tolerance(np.ones(1, np.float32), {np.dtype(np.float32): 7.0}, tu.default_rtols()) == 7.0
    assert tu.get_tolerance(np.ones(1, np.float64), {np.dtype(np.float32): 7.0}, tu.default_rtols()) == 1e-5
    assert tu.get_atol() == 1e-20 and tu.get_rtol() == 1e-5 and tu.get_rtol(0.3) == 0.3 and tu.get_etol() == 0
    assert tu.effective_dtype(nd.ones((1,), dtype="float16")) == np.dtype(np.float16)


def test_default_context_follows_set_default_context():
    old = tu.default_context()
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1)
        assert tu.rand_ndarray((2, 2)).context == mx.cpu(1)
    finally:
        tu.set_default_context(old)


# ---------------------------------------------------------------- comparisons

def _message(a, b, **kw):
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(a, b, **kw)
    return str(info.value)


def test_assert_almost_equal_names_the_worst_element(capsys):
    msg = _message(np.array([[1., 2.], [3., 4.]]), np.array([[1., 2.], [3., 4.5]]), names=("aa", "bb"))
    # the text MXNet 1.9.1 raises for the same call
    assert ("Error 11111.111111 exceeds tolerance rtol=1.000000e-05, atol=1.000000e-20 (mismatch 25.000000%).\n"
            "Location of maximum error: (1, 1), aa=4.00000000, bb=4.50000000") in msg
    assert "ACTUAL: array" in msg and "DESIRED: array" in msg
    assert "1: Error 11111.111111  Location of error: (1, 1), aa=4.00000000, bb=4.50000000" in capsys.readouterr().out


def test_assert_almost_equal_float32_ndarrays_use_float32_tolerances():
    msg = _message(nd.array([[1., 2.], [3., 4.]]), nd.array([[1., 2.], [3., 4.5]]), names=("aa", "bb"))
    assert "Error 344.827576 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 (mismatch 25.000000%)" in msg
    tu.assert_almost_equal(nd.array([1.0]), nd.array([1.0005]))  # within float32's atol


def test_assert_almost_equal_counts_at_most_ten_mismatches():
    a = np.arange(30, dtype=np.float64).reshape(5, 6)
    b = a.copy()
    b.ravel()[:20] += np.arange(1, 21) * 0.1
    msg = _message(a, b, names=("x", "y"))
    assert ("Error 100000.000000 exceeds tolerance rtol=1.000000e-05, atol=1.000000e-20 "
            "(mismatch at least 36.666667%).\nLocation of maximum error: (0, 0), x=0.00000000, y=0.10000000") in msg


def test_assert_almost_equal_scalars_equal_nan_and_broadcast():
    msg = _message(np.array(1.0, np.float32), np.array(1.5, np.float32))
    assert "Error 434.782609 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03.\n" in msg
    nan = np.array([1.0, np.nan])
    tu.assert_almost_equal(nan, nan.copy(), equal_nan=True)
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(nan, nan.copy())
    tu.assert_almost_equal(np.ones((2, 3)), np.ones(3))
    with pytest.raises(AssertionError, match="are not equal"):
        tu.assert_almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    tu.assert_almost_equal(np.array([True, False]), np.array([True, False]))
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.array([True]), np.array([False]))


def test_almost_equal_allclose_and_variants():
    assert tu.almost_equal(np.array([1.0]), np.array([1.000001]))
    assert not tu.almost_equal(np.array([1.0]), np.array([1.0001]))
    tu.assert_allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    with pytest.raises(AssertionError):
        tu.assert_allclose(np.array([1.0]), np.array([1.0 + 1e-6]))
    tu.assert_almost_equal_ignore_nan(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, np.nan]))
    a, b = np.zeros(10), np.zeros(10)
    b[0] = 1.0
    tu.assert_almost_equal_with_err(a, b, etol=0.2)
    with pytest.raises(AssertionError, match="mismatch 10.000000%"):
        tu.assert_almost_equal_with_err(a, b, etol=0.05)
    assert tu.same(nd.array([1, 2]), np.array([1.0, 2.0])) and not tu.same(np.ones(2), np.ones(3))


def test_assert_exception_and_retry():
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: None, ValueError)
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) == 3

    flaky()
    assert len(calls) == 3
    with pytest.raises(AssertionError):
        tu.retry(2)(lambda: (_ for _ in ()).throw(AssertionError("always")))()


def test_np_reduce_collapse_sum_like_compare_tuple():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert tu.np_reduce(x, (0, 2), True, np.sum).tolist() == [[[60.0], [92.0], [124.0]]]  # MXNet 1.9.1
    assert tu.np_reduce(x, None, False, np.max) == 23.0
    assert tu.collapse_sum_like(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8.0], [8.0], [8.0]]
    tu.compare_ndarray_tuple((nd.ones((2,)), (nd.zeros((1,)),)), (np.ones(2), (np.zeros(1),)))
    with pytest.raises(AssertionError):
        tu.compare_ndarray_tuple((nd.ones((2,)),), (np.zeros(2),))


def test_same_array_detects_shared_memory():
    a = nd.zeros((2, 3))
    assert tu.same_array(a, a)
    assert not tu.same_array(a, a.copy())
    assert a.asnumpy().sum() == 0


# ---------------------------------------------------------------- random data

def test_random_arrays_shapes_dtypes_and_seed():
    np.random.seed(3)
    a, b = tu.random_arrays((2, 3), ())
    assert a.shape == (2, 3) and a.dtype == np.float32 and b.shape == () and b.dtype == np.float32
    np.random.seed(3)
    assert np.array_equal(tu.random_arrays((2, 3)), a)
    (u,) = tu.random_uniform_arrays((50,), low=2.0, high=3.0, dtype=np.float64)
    assert u.dtype == np.float64 and 2.0 <= u.min() and u.max() < 3.0
    with pytest.raises(TypeError):
        tu.random_uniform_arrays((2,), lo=1)
    assert sorted(tu.random_sample([1, 2, 3, 4], 4)) == [1, 2, 3, 4] and len(tu.random_sample([1, 2], 1)) == 1


def test_rand_ndarray_and_shapes():
    x = tu.rand_ndarray((3, 4), dtype="float64")
    assert x.shape == (3, 4) and x.dtype == np.float64 and x.stype == "default"
    for stype in ("csr", "row_sparse"):
        a = tu.rand_ndarray((3, 4), stype, density=0.5)
        assert a.stype == stype and a.shape == (3, 4)
        a.check_format()
    arr, (data, indices, indptr) = tu.rand_sparse_ndarray((5, 6), "csr", density=1.0)
    assert arr.stype == "csr" and len(data) == 30 and indptr.tolist() == [0, 6, 12, 18, 24, 30]
    arr, (data, rows) = tu.rand_sparse_ndarray((5, 2), "row_sparse", rsp_indices=[3, 1], data_init=2.0)
    assert rows.tolist() == [1, 3] and (data == 2).all()
    assert tu.create_sparse_array((4, 4), "csr", density=0.0).data.shape == (0,)
    for _ in range(20):
        s2, s3, sn = tu.rand_shape_2d(3, 4), tu.rand_shape_3d(2, 2, 2), tu.rand_shape_nd(4, dim=2)
        assert 1 <= s2[0] <= 3 and 1 <= s2[1] <= 4 and len(s3) == 3 and len(sn) == 4 and min(sn) >= 1
        assert min(tu.rand_shape_nd(3, 1, allow_zero_size=True)) >= 0
        x_, y_ = tu.rand_coord_2d(0, 5, 10, 12)
        assert 0 <= x_ < 5 and 10 <= y_ < 12


def test_assign_each_and_large_tensor_helpers():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert tu.assign_each(x, lambda v: v * v).tolist() == [[1, 4], [9, 16]]
    assert tu.assign_each2(x, x, lambda u, v: u - 2 * v).tolist() == [[-1, -2], [-3, -4]]
    assert tu.create_2d_tensor(3, 2).asnumpy().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert tu.create_vector(4).asnumpy().tolist() == [0, 1, 2, 3] and tu.create_vector(4).dtype == np.int64
    assert np.array_equal(tu.get_identity_mat(3).asnumpy(), np.eye(3))
    assert tu.get_identity_mat_batch(2).shape == (2, 2, 2)


def test_matrices_with_known_spectra():
    np.random.seed(1)
    m = tu.new_matrix_with_real_eigvals_nd((2, 4, 4))
    assert m.shape == (2, 4, 4) and np.allclose(np.linalg.eigvals(m).imag, 0, atol=1e-6)
    q = tu.new_orthonormal_matrix_2d(5)
    assert np.allclose(q.T @ q, np.eye(5))
    s = tu.new_sym_matrix_with_real_eigvals_nd((3, 3, 3))
    assert np.allclose(s, np.swapaxes(s, -1, -2)) and np.abs(np.linalg.eigvalsh(s)).max() < 10


# ---------------------------------------------------------------- symbolic checks

def _fc():
    x, w = mx.sym.Variable("x"), mx.sym.Variable("w")
    return mx.sym.FullyConnected(x, weight=w, num_hidden=3, no_bias=True, name="fc")


def test_check_symbolic_forward_and_backward_against_numpy():
    np.random.seed(0)
    X, W, og = np.random.randn(2, 4), np.random.randn(3, 4), np.random.randn(2, 3)
    outs = tu.check_symbolic_forward(_fc(), [X, W], [X @ W.T])
    assert outs[0].shape == (2, 3)
    tu.check_symbolic_forward(_fc(), {"x": X, "w": W}, {"fc_output": X @ W.T})
    with pytest.raises(AssertionError, match="EXPECTED_fc_output"):
        tu.check_symbolic_forward(_fc(), [X, W], [X @ W.T + 1])
    for req in ("write", "add"):
        tu.check_symbolic_backward(_fc(), [X, W], [og], [og @ W, og.T @ X], grad_req=req)
    tu.check_symbolic_backward(_fc(), [X, W], {"fc_output": og}, {"x": og @ W, "w": og.T @ X},
                               grad_req={"x": "null", "w": "write"})
    with pytest.raises(AssertionError, match="BACKWARD_w"):
        tu.check_symbolic_backward(_fc(), [X, W], [og], [og @ W, og.T @ X * 2])
    grads = tu.check_symbolic_backward(_fc(), [X, W], [og], [og @ W, og.T @ X], dtype=np.float64)
    assert grads["w"].dtype == np.float64
    with pytest.raises(ValueError, match="do not match"):
        tu.check_symbolic_forward(_fc(), {"x": X}, [X @ W.T])


def test_check_numeric_gradient_passes_on_correct_ops():
    np.random.seed(1)
    tu.check_numeric_gradient(_fc(), [np.random.randn(2, 4), np.random.randn(3, 4)])
    x = mx.sym.Variable("x")
    tu.check_numeric_gradient(mx.sym.tanh(x) * x, [np.random.randn(3, 3)], grad_nodes={"x": "add"})
    tu.check_numeric_gradient(mx.sym.exp(x), [np.random.randn(4)], dtype=np.float64, rtol=1e-5, atol=1e-7)
    bn = mx.sym.BatchNorm(x, name="bn", fix_gamma=False)
    tu.check_numeric_gradient(bn, [np.random.randn(4, 3), np.random.rand(3) + 0.5, np.random.randn(3)],
                              aux_states=[np.zeros(3), np.ones(3)], numeric_eps=1e-3, rtol=0.05, atol=1e-3)


class _Cube(mx.operator.CustomOp):
    """y = x^3 with a backward that is right (3x^2) or deliberately wrong (2x^2)."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] ** 3)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * self.factor * in_data[0] ** 2)


@mx.operator.register("tu_cube")
class _CubeProp(mx.operator.CustomOpProp):
    def __init__(self, factor="3"):
        super().__init__(need_top_grad=True)
        self.factor = float(factor)

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _Cube(self.factor)


def test_check_numeric_gradient_catches_a_wrong_backward():
    np.random.seed(2)
    x = np.random.uniform(0.5, 1.5, (3, 2))
    data = mx.sym.Variable("data")
    tu.check_numeric_gradient(mx.sym.Custom(data, op_type="tu_cube"), [x], rtol=1e-2, atol=1e-3)
    with pytest.raises(AssertionError, match="NUMERICAL_data"):
        tu.check_numeric_gradient(mx.sym.Custom(data, op_type="tu_cube", factor="2"), [x], rtol=1e-2, atol=1e-3)


def test_numeric_grad_on_an_executor():
    x = mx.sym.Variable("x")
    exe = (x * x).bind(mx.cpu(), args={"x": nd.zeros((3,))})
    point = {"x": np.array([1.0, -2.0, 0.5], dtype=np.float32)}
    g = tu.numeric_grad(exe, point, eps=1e-2, dtype=np.float64)
    assert np.allclose(g["x"], [2.0, -4.0, 1.0], atol=1e-6)
    assert point["x"].tolist() == [1.0, -2.0, 0.5]  # the point is restored


def test_simple_forward_speed_and_structure():
    x = mx.sym.Variable("x")
    assert tu.simple_forward(mx.sym.exp(x), x=np.zeros(2)).tolist() == [1.0, 1.0]
    two = mx.sym.Group([x + 1, x * 2])
    outs = tu.simple_forward(two, x=np.ones(2))
    assert [o.tolist() for o in outs] == [[2.0, 2.0], [2.0, 2.0]]
    assert tu.check_speed(_fc(), x=(2, 4), w=(3, 4), N=2) > 0
    assert tu.check_speed(_fc(), location={"x": np.ones((2, 4)), "w": np.ones((3, 4))}, N=2, typ="forward") > 0
    with pytest.raises(ValueError):
        tu.check_speed(_fc(), x=(2, 4), w=(3, 4), N=1, typ="nope")
    assert tu.same_symbol_structure(mx.sym.exp(x), mx.sym.exp(mx.sym.Variable("y")))
    assert not tu.same_symbol_structure(mx.sym.exp(x), mx.sym.log(x))


def test_check_consistency_across_devices_and_dtypes():
    np.random.seed(4)
    ctx_list = [{"ctx": mx.cpu(0), "fc_data": (2, 5), "type_dict": {"fc_data": np.float64}},
                {"ctx": mx.cpu(1), "fc_data": (2, 5), "type_dict": {"fc_data": np.float32}}]
    sym = mx.sym.FullyConnected(mx.sym.Variable("fc_data"), num_hidden=3, name="fc")
    gt = tu.check_consistency(sym, ctx_list)
    assert set(gt) >= {"fc_output", "fc_weight", "fc_bias"}
    gt = tu.check_consistency(sym, ctx_list, grad_req="null")
    assert set(gt) == {"fc_output"}
    wrong = {"fc_output": np.zeros((2, 3))}
    with pytest.raises(AssertionError):
        tu.check_consistency(sym, ctx_list, ground_truth=wrong, grad_req="null")
    tu.check_consistency(sym, ctx_list, ground_truth=wrong, grad_req="null", raise_on_err=False)


# ---------------------------------------------------------------- models, optimizers

def test_compare_optimizer_and_hybridize_consistency():
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                         mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 4), np.float32)
    with pytest.raises(AssertionError):
        tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1), mx.optimizer.SGD(learning_rate=0.2),
                             (3, 4), np.float32)
    with pytest.raises(NotImplementedError, match="w_stype"):
        tu.compare_optimizer(mx.optimizer.SGD(), mx.optimizer.SGD(), (3, 4), np.float32, w_stype="row_sparse")
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.1),
                         mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.1), (5, 4), np.float32,
                         g_stype="row_sparse")

    def build(prefix):
        net = mx.gluon.nn.HybridSequential(prefix=prefix)
        with net.name_scope():
            net.add(mx.gluon.nn.Dense(4, activation="tanh"), mx.gluon.nn.Dense(2))
        return net

    tu.check_gluon_hybridize_consistency(build, [nd.array(np.random.randn(3, 5))])


# ---------------------------------------------------------------- environment, data, distributions

def test_environment_sets_and_restores():
    os.environ.pop("MXCORE_TU_A", None)
    os.environ["MXCORE_TU_B"] = "keep"
    with tu.environment({"MXCORE_TU_A": "1", "MXCORE_TU_B": None}):
        assert os.environ["MXCORE_TU_A"] == "1" and "MXCORE_TU_B" not in os.environ
    assert "MXCORE_TU_A" not in os.environ and os.environ["MXCORE_TU_B"] == "keep"
    with pytest.raises(RuntimeError):
        with tu.environment("MXCORE_TU_B", "inner"):
            assert os.environ["MXCORE_TU_B"] == "inner"
            raise RuntimeError
    assert os.environ["MXCORE_TU_B"] == "keep"
    assert tu.set_env_var("MXCORE_TU_B", "new") == "keep" and tu.set_env_var("MXCORE_TU_C", "x", "dflt") == "dflt"
    for k in ("MXCORE_TU_B", "MXCORE_TU_C"):
        os.environ.pop(k)


def test_discard_stderr_and_machine_queries(capfd):
    with tu.discard_stderr():
        os.write(sys.stderr.fileno(), b"hidden\n")
    os.write(sys.stderr.fileno(), b"shown\n")
    assert capfd.readouterr().err == "shown\n"
    assert tu.has_tvm_ops() is False and tu.is_op_runnable() is True
    assert list(tu.list_gpus()) == list(range(mx.num_gpus()))
    with tu.environment("CD_JOB", "1"):
        assert tu.is_cd_run()
    assert isinstance(tu.is_aarch64_run(), bool)


def test_dummy_iter_repeats_the_first_batch():
    it = mx.io.NDArrayIter(np.arange(12.0).reshape(6, 2), np.arange(6.0), batch_size=2)
    dummy = tu.DummyIter(it)
    first, second = next(dummy), next(dummy)
    assert first is second and dummy.batch_size == 2
    assert dummy.provide_data[0].shape == (2, 2)


def test_download_keeps_existing_files_and_unpacks_archives(tmp_path):
    import bz2
    import zipfile
    (tmp_path / "have.txt").write_text("x")
    assert tu.download("http://example.invalid/have.txt", dirname=str(tmp_path)) == str(tmp_path / "have.txt")
    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("inner.txt", "zipped")
    out = tmp_path / "out"
    tu.get_zip_data(str(out), src.as_uri(), "src.zip")
    assert (out / "inner.txt").read_text() == "zipped"
    (tmp_path / "d.bz2").write_bytes(bz2.compress(b"line1\nline2\n"))
    tu.get_bz2_data(str(out), "d.txt", (tmp_path / "d.bz2").as_uri(), "d.bz2")
    assert (out / "d.txt").read_bytes() == b"line1\nline2\n" and not (out / "d.bz2").exists()


def test_distribution_checks():
    np.random.seed(5)
    gen = lambda n: np.random.normal(0.0, 1.0, size=n)  # noqa: E731
    assert tu.mean_check(gen, 0.0, 1.0, nsamples=100000)
    assert not tu.mean_check(lambda n: np.random.normal(0.5, 1.0, size=n), 0.0, 1.0, nsamples=100000)
    assert tu.var_check(gen, 1.0, nsamples=100000)
    assert not tu.var_check(gen, 2.0, nsamples=100000)
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: p * 2.0, 4)
    assert buckets == [(0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0)] and probs == [0.25] * 4
    try:
        import scipy  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="scipy"):
            tu.chi_square_check(gen, buckets, probs)
        return
    uni = lambda n: np.random.uniform(0.0, 2.0, size=n)  # noqa: E731
    p, obs, exp = tu.chi_square_check(uni, buckets, probs, nsamples=20000)
    assert p > 1e-4 and obs.sum() == 20000 and exp.tolist() == [5000] * 4
    tu.verify_generator(uni, buckets, probs, nsamples=20000, nrepeat=3)
    with pytest.raises(AssertionError, match="Generator test fails"):
        tu.verify_generator(lambda n: np.random.uniform(0.0, 1.0, size=n), buckets, probs, nsamples=20000)
    p, obs, _ = tu.chi_square_check(lambda n: np.random.randint(0, 3, size=n), [0, 1, 2], [1 / 3] * 3, 9000)
    assert obs.sum() == 9000 and p > 1e-4
