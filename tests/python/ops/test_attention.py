"""The fused attention ops of MXNet 1.x contrib (GluonNLP BERT / Transformer
exports): values against numpy einsums of MXNet's documented layouts (checked
against MXNet 1.9.1), gradients against finite differences and against the
sums MXNet 1.9.1 printed; div_sqrt_dim, arange_like and AdaptiveAvgPooling2D."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

rs = np.random.RandomState(0)
L, B, H, D = 3, 2, 2, 4
QKV = rs.rand(L, B, H * 3 * D).astype("f")
ATT = rs.rand(B * H, L, L).astype("f")
LQ = 2
QS = rs.rand(LQ, B, H * D).astype("f")
KV = rs.rand(L, B, H * 2 * D).astype("f")
ATT2 = rs.rand(B * H, LQ, L).astype("f")


def _split(qkv, parts):
    t = qkv.reshape(qkv.shape[0], qkv.shape[1], H, parts, -1)
    return [t[:, :, :, i] for i in range(parts)]


def test_forward_matches_mxnet_layouts():
    q, k, v = _split(QKV, 3)
    check_op("_contrib_interleaved_matmul_selfatt_qk", [QKV], {"heads": H},
             lambda x: np.einsum("ibhd,jbhd->bhij", q, k).reshape(B * H, L, L) / np.sqrt(D), rtol=1e-5)
    check_op("_contrib_interleaved_matmul_selfatt_valatt", [QKV, ATT], {"heads": H},
             lambda x, a: np.einsum("bhij,jbhd->ibhd", a.reshape(B, H, L, L), v).reshape(L, B, H * D), rtol=1e-5)
    kk, vv = _split(KV, 2)
    check_op("_contrib_interleaved_matmul_encdec_qk", [QS, KV], {"heads": H},
             lambda a, b: np.einsum("ibhd,jbhd->bhij", QS.reshape(LQ, B, H, D), kk).reshape(B * H, LQ, L) / np.sqrt(D),
             rtol=1e-5)
    check_op("_contrib_interleaved_matmul_encdec_valatt", [KV, ATT2], {"heads": H},
             lambda a, b: np.einsum("bhij,jbhd->ibhd", b.reshape(B, H, LQ, L), vv).reshape(LQ, B, H * D), rtol=1e-5)
    check_op("_contrib_div_sqrt_dim", [QKV], {}, lambda x: x / np.sqrt(x.shape[-1]))


def _sums(op, inputs):
    out = run_op(op, inputs, {"heads": H})[0]
    head = np.arange(out.size, dtype="f").reshape(out.shape) / out.size
    gs = autograd_grads(op, inputs, {"heads": H}, list(range(len(inputs))), head)
    return [round(float(g.sum()), 3) for g in gs] + [float((g * np.arange(g.size).reshape(g.shape)).sum()) for g in gs]


@pytest.mark.parametrize("op,inputs,mxnet", [
    ("_contrib_interleaved_matmul_selfatt_qk", [QKV], [34.1943, 2776.218]),
    ("_contrib_interleaved_matmul_selfatt_valatt", [QKV, ATT], [34.5974, 36.5715, 2410.208, 724.589]),
    ("_contrib_interleaved_matmul_encdec_qk", [QS, KV], [11.6636, 11.4914, 221.221, 616.969]),
    ("_contrib_interleaved_matmul_encdec_valatt", [KV, ATT2], [19.2343, 22.2411, 1063.301, 306.622]),
])
def test_gradients_match_mxnet_and_finite_differences(op, inputs, mxnet):
    np.testing.assert_allclose(_sums(op, inputs), mxnet, rtol=2e-4)
    check_grad(op, [x.astype(np.float64) for x in inputs], {"heads": H}, rtol=1e-6, atol=1e-8)


def test_attention_shape_errors():
    expect_error("_contrib_interleaved_matmul_selfatt_qk", [QKV[..., :-1]], {"heads": H},
                 contains=("selfatt_qk", "heads * 3 * head_dim"))
    expect_error("_contrib_interleaved_matmul_selfatt_valatt", [QKV, ATT[:, :2]], {"heads": H},
                 contains=("attention must have shape (4, 3, 3)",))


def test_arange_like():
    x = np.zeros((2, 3, 5), "f")
    check_op("_contrib_arange_like", [x], {"start": 1, "step": 0.5}, lambda a: 1 + 0.5 * np.arange(30).reshape(2, 3, 5))
    check_op("_contrib_arange_like", [x], {"axis": 1}, lambda a: np.arange(3, dtype="f"))
    check_op("_contrib_arange_like", [x], {"start": 2, "step": 3, "repeat": 2, "axis": -1},
             lambda a: np.array([2, 2, 5, 5, 8], "f"))  # MXNet 1.9.1's values


def test_adaptive_avg_pooling():
    y = np.random.RandomState(0).rand(1, 2, 5, 7).astype("f")

    def ref(a, oh, ow):
        out = np.zeros(a.shape[:2] + (oh, ow))
        for i in range(oh):
            for j in range(ow):
                h0, h1 = i * a.shape[2] // oh, -(-(i + 1) * a.shape[2] // oh)
                w0, w1 = j * a.shape[3] // ow, -(-(j + 1) * a.shape[3] // ow)
                out[:, :, i, j] = a[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        return out

    check_op("_contrib_AdaptiveAvgPooling2D", [y], {"output_size": (2, 3)}, lambda a: ref(a, 2, 3), rtol=1e-5)
    np.testing.assert_allclose(run_op("_contrib_AdaptiveAvgPooling2D", [y], {"output_size": (2, 3)})[0].ravel()[:4],
                               [0.476003, 0.545151, 0.684051, 0.380069], rtol=1e-5)  # MXNet 1.9.1's
    check_op("_contrib_AdaptiveAvgPooling2D", [y], {"output_size": 3}, lambda a: ref(a, 3, 3), rtol=1e-5)
    check_op("_contrib_AdaptiveAvgPooling2D", [y], {}, lambda a: ref(a, 1, 1), rtol=1e-5)
    check_grad("_contrib_AdaptiveAvgPooling2D", [y.astype(np.float64)], {"output_size": (3, 4)}, rtol=1e-6, atol=1e-8)
