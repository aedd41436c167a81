"""mx.rnn's symbolic cells in MXNet 1.x's bucketing language-model recipe:
SequentialRNNCell of two LSTM / GRU / RNN cells, unroll(merge_outputs=True),
BucketSentenceIter and BucketingModule with the Perplexity metric. Two epochs of
SGD give the weights MXNet 1.9.1 gave for the same sentences, seeds and initial
values (printed by MXNet for this script)."""
import random

import numpy as np
import pytest

import mxcore as mx

V, E, H, B = 8, 4, 5, 2

MXNET = {  # pred_weight[0] and <first h2h_weight>[0] after training, from MXNet 1.9.1
    "lstm": ([0.35077, -0.39492, 0.52537, 0.34476, -0.39236], [0.24552, -0.18142, -0.0351, 0.13149, 0.20721]),
    "gru": ([0.00629, -0.92612, 0.1714, -0.02452, -0.19037], [0.15609, -0.29564, -0.04785, -0.02236, -0.26744]),
    "rnn": ([0.21553, -0.08579, -0.21175, -0.19638, 0.13058], [0.09405, 0.02156, 0.0911, 0.27346, 0.12503]),
}


@pytest.mark.parametrize("kind", sorted(MXNET))
def test_bucketing_language_model_trains_like_mxnet(kind):
    rs = np.random.RandomState(0)
    sents = [list(rs.randint(1, V, rs.randint(2, 6))) for _ in range(12)]
    random.seed(3)
    np.random.seed(3)
    it = mx.rnn.BucketSentenceIter(sents, B, buckets=[3, 5], invalid_label=0)
    cls = {"lstm": mx.rnn.LSTMCell, "gru": mx.rnn.GRUCell, "rnn": mx.rnn.RNNCell}[kind]
    stack = mx.rnn.SequentialRNNCell()
    for i in range(2):
        stack.add(cls(num_hidden=H, prefix="%s_l%d_" % (kind, i)))

    def sym_gen(seq_len):
        embed = mx.sym.Embedding(data=mx.sym.Variable("data"), input_dim=V, output_dim=E, name="embed")
        stack.reset()
        outputs, _ = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.FullyConnected(data=mx.sym.Reshape(outputs, shape=(-1, H)), num_hidden=V, name="pred")
        label = mx.sym.Reshape(mx.sym.Variable("softmax_label"), shape=(-1,))
        return mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax"), ("data",), ("softmax_label",)

    sym, _, _ = sym_gen(5)
    shapes, _, _ = sym.infer_shape(data=(B, 5), softmax_label=(B, 5))
    prs = np.random.RandomState(7)
    arg_params = {n: mx.nd.array(prs.uniform(-0.3, 0.3, s)) for n, s in zip(sym.list_arguments(), shapes)
                  if n not in ("data", "softmax_label")}
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=it.default_bucket_key, context=mx.cpu())
    mod.fit(it, num_epoch=2, optimizer="sgd", optimizer_params={"learning_rate": 0.5}, arg_params=arg_params,
            eval_metric=mx.metric.Perplexity(0))
    a, _ = mod.get_params()
    h2h = [n for n in sorted(a) if "h2h_weight" in n][0]
    assert h2h == "%s_l0_h2h_weight" % kind  # MXNet's parameter names
    np.testing.assert_allclose(a["pred_weight"].asnumpy()[0], MXNET[kind][0], atol=2e-5)
    np.testing.assert_allclose(a[h2h].asnumpy()[0], MXNET[kind][1], atol=2e-5)


def test_cell_nodes_and_begin_states():
    cell = mx.rnn.LSTMCell(num_hidden=3, prefix="l_")
    states = cell.begin_state()
    assert [s.name for s in states] == ["l_begin_state_0", "l_begin_state_1"]
    outs, st = cell.unroll(2, mx.sym.Variable("x"), layout="NTC")
    assert len(outs) == 2 and len(st) == 2
    names = outs[1].get_internals().list_outputs()
    assert "l_t1_i2h_output" in names and "l_t1_out_output" in names  # MXNet's node names
    assert sorted(outs[1].list_arguments()) == ["l_h2h_bias", "l_h2h_weight", "l_i2h_bias", "l_i2h_weight", "x"]
    y = outs[1].eval(x=mx.nd.ones((4, 2, 6)), l_i2h_weight=mx.nd.ones((12, 6)) * 0.1, l_i2h_bias=mx.nd.zeros(12),
                     l_h2h_weight=mx.nd.ones((12, 3)) * 0.1, l_h2h_bias=mx.nd.zeros(12))[0]
    assert y.shape == (4, 3)  # the begin states' batch comes from the data
    drop = mx.rnn.DropoutCell(0.5)
    assert drop.unroll(2, mx.sym.Variable("x"))[1] == []
