"""Op by op: a small Symbol-API program per translation, exported, run in onnxruntime and
imported back; every output must equal our own forward (tolerance: onnx_helpers.py)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import mxcore as mx
import onnx
from mxcore import sym as S
from onnx_helpers import assert_close, import_forward, run_ort

RNG = np.random.RandomState(0)
X = S.var("data")
B = S.var("b")


def _u(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


def our_forward(sym, feeds, params):
    args = {k: mx.nd.array(v) for k, v in dict(feeds, **params).items() if k in sym.list_arguments()}
    shapes, _, _ = sym.infer_shape(**{k: v.shape for k, v in args.items()})
    for name, shape in zip(sym.list_arguments(), shapes):  # labels: unused at inference
        args.setdefault(name, mx.nd.zeros(shape))
    aux = {k: mx.nd.array(v) for k, v in params.items() if k in sym.list_auxiliary_states()}
    ex = sym.bind(mx.cpu(), args, aux_states=aux)
    return [o.asnumpy() for o in ex.forward(is_train=False)]


def check(sym, feeds, params, tmp_path, roundtrip=True):
    want = our_forward(sym, feeds, params)
    shapes = [feeds[n].shape for n in sym.list_arguments() if n in feeds]  # in argument order
    path = mx.onnx.export_model(sym, params, shapes, np.float32,
                                str(tmp_path / "m.onnx"))
    onnx.checker.check_model(onnx.load(path))
    got = run_ort(path, feeds)
    for g, w in zip(got, want):
        assert_close(g, w)
    if roundtrip:
        for g, w in zip(import_forward(path, feeds), want):
            assert_close(g, w)


CASES = {
    # name: (symbol, {input: value}, {param: value})
    "fc_flatten_false": (S.FullyConnected(X, S.var("w"), S.var("b"), num_hidden=4, flatten=False),
                         {"data": _u(2, 3, 5)}, {"w": _u(4, 5), "b": _u(4)}),
    "fc_4d_no_bias": (S.FullyConnected(X, S.var("w"), num_hidden=3, no_bias=True),
                      {"data": _u(2, 2, 2, 2)}, {"w": _u(3, 8)}),
    "activations": (S.Group([S.Activation(X, act_type=k) for k in ("relu", "sigmoid", "tanh", "softrelu",
                                                                   "softsign")]), {"data": _u(3, 4)}, {}),
    "leaky_kinds": (S.Group([S.LeakyReLU(X, act_type="leaky", slope=0.2), S.LeakyReLU(X, act_type="elu", slope=0.7),
                             S.LeakyReLU(X, act_type="selu"), S.LeakyReLU(X, act_type="gelu")]),
                    {"data": _u(3, 4, lo=-3, hi=3)}, {}),
    "prelu": (S.LeakyReLU(X, gamma=S.var("g"), act_type="prelu"), {"data": _u(2, 3, 4, 4)}, {"g": _u(3)}),
    "softmaxes": (S.Group([S.softmax(X, axis=1), S.softmax(X, temperature=2.0), S.log_softmax(X, axis=-1)]),
                  {"data": _u(2, 3, 4)}, {}),
    "softmax_output_label_dropped": (S.SoftmaxOutput(S.FullyConnected(X, S.var("w"), S.var("b"), num_hidden=5),
                                                     S.var("softmax_label")),
                                     {"data": _u(4, 6)}, {"w": _u(5, 6), "b": _u(5)}),
    "softmax_activation_channel": (S.SoftmaxActivation(X, mode="channel"), {"data": _u(2, 3, 2, 2)}, {}),
    "binary": (S.Group([X + B, X - B, X * B, X / B, S.maximum(X, B), S.minimum(X, B)]),
               {"data": _u(2, 3), "b": _u(2, 3, lo=0.5, hi=1.5)}, {}),
    "broadcast": (S.Group([S.broadcast_add(X, B), S.broadcast_mul(X, B), S.broadcast_power(S.abs(X) + 0.1, B),
                           S.broadcast_greater(X, B)]),
                  {"data": _u(2, 3), "b": _u(1, 3)}, {}),
    "scalar": (S.Group([X + 1.5, 1.5 - X, X * 2.0, X / 4.0, 2.0 / (S.abs(X) + 1), (S.abs(X) + 0.5) ** 2.0,
                        2.0 ** X, S.maximum(X, 0.1), S.minimum(X, 0.1), X == 0.0, X > 0.2]),
               {"data": _u(3, 4)}, {}),
    "unary": (S.Group([S.negative(X), S.abs(X), S.exp(X), S.log(S.abs(X) + 1), S.sqrt(S.abs(X)), S.square(X),
                       S.rsqrt(S.abs(X) + 1), S.erf(X), S.floor(X * 3), S.ceil(X * 3), S.sign(X),
                       S.reciprocal(X + 2), S.sin(X), S.identity(X), S.BlockGrad(X)]),
              {"data": _u(3, 4)}, {}),
    "reshape_codes": (S.Group([S.reshape(X, shape=(0, -1)), S.reshape(X, shape=(-2,)),
                               S.reshape(X, shape=(-3, -2)), S.reshape(X, shape=(0, -4, 2, -1, -2)),
                               S.reshape(X, shape=(-1, 0), reverse=True), S.Flatten(X)]),
                      {"data": _u(2, 4, 3, 5)}, {}),
    "transpose_concat": (S.Group([S.transpose(X), S.transpose(X, axes=(0, 2, 1)), S.concat(X, X * 2, dim=2),
                                  S.swapaxes(X, dim1=0, dim2=2), S.stack(X, X + 1, axis=1)]),
                         {"data": _u(2, 3, 4)}, {}),
    "slices": (S.Group([S.slice(X, begin=(None, 1), end=(None, 3)), S.slice(X, begin=(1, None, 0), end=(2, None, 4),
                                                                          step=(1, 1, 2)),
                        S.slice_axis(X, axis=2, begin=1, end=-1), S.slice_axis(X, axis=-1, begin=0, end=None)]),
               {"data": _u(3, 4, 5)}, {}),
    "squeeze_expand_clip": (S.Group([S.squeeze(X, axis=1), S.squeeze(X), S.expand_dims(X, axis=0),
                                     S.clip(X, -0.3, 0.4)]), {"data": _u(3, 1, 4)}, {}),
    "reductions": (S.Group([S.sum(X), S.mean(X, axis=1, keepdims=True), S.max(X, axis=(0, 2)),
                            S.min(X, axis=1, exclude=True), S.prod(X, axis=2), S.sum(X, axis=-1),
                            S.norm(X, axis=1)]), {"data": _u(2, 3, 4)}, {}),
    "dots": (S.Group([S.dot(X, S.var("b")), S.dot(X, S.var("c"), transpose_b=True),
                      S.batch_dot(S.reshape(X, shape=(2, 3, 2)), S.reshape(X, shape=(2, 3, 2)), transpose_b=True)]),
             {"data": _u(3, 4), "b": _u(4, 2), "c": _u(5, 4)}, {}),
    "dot_nd": (S.dot(X, S.var("b")), {"data": _u(2, 3, 4), "b": _u(4, 2, 3)}, {}),
    "conv_groups_dilation": (S.Convolution(X, S.var("w"), S.var("b"), kernel=(3, 3), num_filter=4, num_group=2,
                                           dilate=(2, 1), pad=(2, 1), stride=(1, 2)),
                             {"data": _u(2, 4, 9, 9)}, {"w": _u(4, 2, 3, 3), "b": _u(4)}),
    "conv1d": (S.Convolution(X, S.var("w"), kernel=(3,), num_filter=2, no_bias=True, pad=(1,)),
               {"data": _u(2, 3, 7)}, {"w": _u(2, 3, 3)}),
    "deconv": (S.Deconvolution(X, S.var("w"), kernel=(3, 3), num_filter=2, stride=(2, 2), pad=(1, 1), adj=(1, 1)),
               {"data": _u(1, 3, 4, 4)}, {"w": _u(3, 2, 3, 3)}),
    "pooling": (S.Group([S.Pooling(X, kernel=(3, 3), stride=(2, 2), pool_type="max"),
                         S.Pooling(X, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg"),
                         S.Pooling(X, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                                   count_include_pad=False),
                         S.Pooling(X, kernel=(2, 2), stride=(2, 2), pool_type="sum"),
                         S.Pooling(X, kernel=(1, 1), global_pool=True, pool_type="max"),
                         S.Pooling(X, kernel=(1, 1), global_pool=True, pool_type="avg")]),
                {"data": _u(2, 3, 8, 8)}, {}),
    "pooling_full": (S.Group([S.Pooling(X, kernel=(3, 3), stride=(2, 2), pool_type="max", pooling_convention="full"),
                              S.Pooling(X, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                                        pooling_convention="full")]),
                     {"data": _u(1, 2, 7, 7)}, {}),
    # the last window starts in the padding: onnxruntime drops it, the export appends it
    "pooling_full_window_in_padding": (S.Group([S.Pooling(X, kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type=t,
                                                          pooling_convention="full", count_include_pad=c)
                                                for t, c in (("max", True), ("avg", True), ("avg", False))]),
                                       {"data": _u(1, 2, 7, 7)}, {}),
    "batchnorm_fix_gamma": (S.BatchNorm(X, S.var("g"), S.var("b"), S.var("m"), S.var("v"), fix_gamma=True, eps=1e-3),
                            {"data": _u(2, 3, 4, 4)},
                            {"g": _u(3, lo=2, hi=3), "b": _u(3), "m": _u(3), "v": _u(3, lo=0.5, hi=2)}),
    "batchnorm_global_stats": (S.BatchNorm(X, S.var("g"), S.var("b"), S.var("m"), S.var("v"), fix_gamma=False,
                                           use_global_stats=True), {"data": _u(2, 3, 5)},
                               {"g": _u(3), "b": _u(3), "m": _u(3), "v": _u(3, lo=0.5, hi=2)}),
    "instance_layer_norm": (S.Group([S.InstanceNorm(X, S.var("g"), S.var("b")),
                                     S.LayerNorm(X, S.var("lg"), S.var("lb"), axis=-1),
                                     S.LayerNorm(X, S.var("cg"), S.var("cb"), axis=1)]),
                            {"data": _u(2, 3, 4, 4)},
                            {"g": _u(3), "b": _u(3), "lg": _u(4), "lb": _u(4), "cg": _u(3), "cb": _u(3)}),
    "pad": (S.Group([S.Pad(X, mode="constant", pad_width=(0, 0, 0, 0, 1, 2, 2, 1), constant_value=0.5),
                     S.Pad(X, mode="edge", pad_width=(0, 0, 0, 0, 1, 1, 2, 2)),
                     S.Pad(X, mode="reflect", pad_width=(0, 0, 0, 0, 2, 1, 1, 2))]),
            {"data": _u(1, 2, 4, 4)}, {}),
    "upsampling_lrn": (S.Group([S.UpSampling(X, scale=2, sample_type="nearest", num_args=1),
                                S.LRN(X, nsize=3, alpha=1e-2, beta=0.75, knorm=2.0)]),
                       {"data": _u(1, 4, 3, 3)}, {}),
    "embedding_cast_like": (S.Group([S.Embedding(S.var("idx"), S.var("w"), input_dim=6, output_dim=3),
                                     S.Cast(X, dtype="int32"), S.zeros_like(X), S.ones_like(X)]),
                            {"data": _u(2, 3), "idx": np.array([[0, 5], [2, 3]], np.float32)}, {"w": _u(6, 3)}),
    "split_tile_take_where": (S.Group(list(S.split(X, num_outputs=2, axis=1)) +
                                      [S.split(X, num_outputs=4, axis=1, squeeze_axis=True)[2],
                                       S.tile(X, reps=(2, 1)), S.take(X, S.var("i"), axis=1),
                                       S.where(X > 0, X, X * 0.1), S.broadcast_to(S.slice_axis(X, axis=0, begin=0,
                                                                                               end=1), shape=(3, 4))]),
                              {"data": _u(3, 4), "i": np.array([3, 0], np.float32)}, {}),
    "more_activations": (S.Group([S.hard_sigmoid(X, alpha=0.3, beta=0.4), S.Activation(X, act_type="log_sigmoid"),
                                  S.Activation(X, act_type="mish"), S.LeakyReLU(X, act_type="rrelu")[0],
                                  S.relu(X), S.sigmoid(X), S.softsign(X), S.add_n(X * 2, X * 3, X),
                                  S.LinearRegressionOutput(X, S.var("lr_label")),
                                  S.LogisticRegressionOutput(X, S.var("lg_label"))]),
                         {"data": _u(3, 4, lo=-3, hi=3)}, {}),
    "like_ops": (S.Group([S.slice_like(X, S.var("b"), axes=(1,)), S.reshape_like(X, S.var("d")),
                          S.broadcast_like(S.slice_axis(X, axis=0, begin=0, end=1), X),
                          S.SoftmaxActivation(S.reshape(X, shape=(2, 2, 3))), S.norm(X, ord=1, axis=0),
                          S.linalg.gemm2(X, S.var("c"), transpose_b=True, alpha=0.5)]),
                 {"data": _u(2, 6), "b": _u(2, 4), "c": _u(3, 6), "d": _u(3, 4)}, {}),
    "pool_lp_deconv_groups": (S.Group([S.Pooling(X, kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=2),
                                       S.Deconvolution(X, S.var("w"), S.var("bias"), kernel=(2, 2), num_filter=4,
                                                       num_group=2, no_bias=False, stride=(2, 2))]),
                              {"data": _u(1, 4, 4, 4)}, {"w": _u(4, 2, 2, 2), "bias": _u(4)}),
    "arg_topk_onehot_arange": (S.Group([S.argmax(X, axis=1), S.argmin(X, axis=0, keepdims=True), S.argmax(X),
                                        S.topk(X, k=2, axis=1), S.topk(X, k=3, ret_typ="value", is_ascend=True),
                                        S.one_hot(S.var("i"), depth=5, on_value=2.0, off_value=-1.0),
                                        S.broadcast_add(X, S.arange(0, 4).reshape((1, 4)))]),
                               {"data": _u(3, 4), "i": np.array([4, 0, 2], np.float32)}, {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op(name, tmp_path):
    sym, feeds, params = CASES[name]
    check(sym, feeds, params, tmp_path)


def test_dynamic_batch(tmp_path):
    """dynamic=True: the file runs at another batch size than the one exported, reshape codes
    that merge the batch axis included (computed from Shape at run time)."""
    w = _u(5, 24)
    sym = S.FullyConnected(S.reshape(S.reshape(X, shape=(-3, -2)), shape=(-4, -1, 2, -2)), S.var("w"),
                           num_hidden=5, no_bias=True)
    path = mx.onnx.export_model(sym, {"w": w}, [(2, 2, 3, 4)], np.float32, str(tmp_path / "d.onnx"), dynamic=True,
                                dynamic_input_shapes=[(None, 2, 3, 4)])
    dim = onnx.load(path).graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param and not dim.dim_value
    x = _u(7, 2, 3, 4)
    assert_close(run_ort(path, {"data": x})[0], our_forward(sym, {"data": x}, {"w": w})[0])


def test_large_model_external_data(tmp_path):
    sym = S.FullyConnected(X, S.var("w"), S.var("b"), num_hidden=4)
    params = {"w": _u(4, 600), "b": _u(4)}
    path = mx.onnx.export_model(sym, params, [(2, 600)], onnx_file_path=str(tmp_path / "big.onnx"),
                                large_model=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.onnx", "big.onnx.data"]
    x = _u(2, 600)
    assert_close(run_ort(path, {"data": x})[0], our_forward(sym, {"data": x}, params)[0])


def test_params_with_prefixes_and_checkpoint_files(tmp_path):
    sym = S.BatchNorm(S.FullyConnected(X, S.var("w"), num_hidden=3, no_bias=True, name="fc"), name="bn")
    params = {"arg:w": _u(3, 4), "arg:bn_gamma": _u(3), "arg:bn_beta": _u(3), "aux:bn_moving_mean": _u(3),
              "aux:bn_moving_var": _u(3, lo=0.5, hi=1.0)}
    mx.model.save_checkpoint(str(tmp_path / "ck"), 3, sym, {k[4:]: mx.nd.array(v) for k, v in params.items()
                                                            if k.startswith("arg")},
                             {k[4:]: mx.nd.array(v) for k, v in params.items() if k.startswith("aux")})
    x = _u(2, 4)
    want = our_forward(sym, {"data": x}, {k[4:]: v for k, v in params.items()})[0]
    p1 = mx.onnx.export_model(sym, params, [(2, 4)], onnx_file_path=str(tmp_path / "a.onnx"))
    p2 = mx.contrib.onnx.export_model(str(tmp_path / "ck-symbol.json"), str(tmp_path / "ck-0003.params"),
                                      input_shape=[(2, 4)], onnx_file_path=str(tmp_path / "b.onnx"))
    for p in (p1, p2):
        assert_close(run_ort(p, {"data": x})[0], want)


def test_operator_support_lists_the_table():
    ops = mx.onnx.get_operator_support()
    for op in ("FullyConnected", "Convolution", "BatchNorm", "Pooling", "Reshape", "softmax", "Embedding"):
        assert op in ops
