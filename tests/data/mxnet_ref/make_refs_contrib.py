"""Generates the MXNet 1.9.1 reference models of contrib ops (run ONCE with
MXNet itself, like make_refs.py; never in CI):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs_contrib.py

  bert_block-*   a BERT-style encoder layer as GluonNLP writes it: fused
                 interleaved attention ops, div_sqrt_dim, arange_like positions,
                 softmax, LayerNorm, GELU feed-forward
  det_head-*     a detection head: conv features, ROIAlign and ROIPooling of
                 constant rois, AdaptiveAvgPooling2D, MultiBoxPrior anchors and
                 box_nms of scored boxes
  syncbn-*       a conv net with gluon.contrib.nn.SyncBatchNorm (exported as
                 _contrib_SyncBatchNorm), running statistics trained first
Each as <name>-symbol.json, <name>-0000.params and <name>-io.params
({"x": input, "y": MXNet's output}).
"""
import os

import mxnet as mx
import numpy as np
from mxnet import gluon, nd
from mxnet.gluon import nn

HERE = os.path.dirname(os.path.abspath(__file__))
mx.random.seed(1)
np.random.seed(1)


def export(net, name, x):
    net.hybridize()
    y = net(x)
    net.export(os.path.join(HERE, name), 0)
    nd.save(os.path.join(HERE, name + "-io.params"), {"x": x, "y": y})


class BertBlock(gluon.HybridBlock):
    def __init__(self, units=16, heads=4, **kw):
        super().__init__(**kw)
        self.heads = heads
        with self.name_scope():
            self.pos = nn.Embedding(32, units)
            self.qkv = nn.Dense(3 * units, flatten=False)
            self.proj = nn.Dense(units, flatten=False)
            self.ln1 = nn.LayerNorm()
            self.ffn1 = nn.Dense(32, flatten=False)
            self.ffn2 = nn.Dense(units, flatten=False)
            self.ln2 = nn.LayerNorm()

    def hybrid_forward(self, F, x):  # x: (seq, batch, units)
        pos = F.contrib.arange_like(x, axis=0)
        x = F.broadcast_add(x, F.expand_dims(self.pos(pos), axis=1))
        qkv = self.qkv(x)
        scores = F.contrib.interleaved_matmul_selfatt_qk(qkv, heads=self.heads)
        att = F.softmax(scores, axis=-1)
        ctx = F.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=self.heads)
        h = self.ln1(x + self.proj(ctx))
        f = self.ffn2(F.LeakyReLU(self.ffn1(h), act_type="gelu"))
        return self.ln2(h + F.contrib.div_sqrt_dim(f))


blk = BertBlock()
blk.initialize(mx.init.Xavier())
export(blk, "bert_block", nd.random.normal(shape=(6, 2, 16)))


class DetHead(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.conv = nn.Conv2D(8, 3, padding=1)
            self.rois = self.params.get_constant("rois", nd.array([[0, 1.5, 1.0, 9.0, 7.5], [0, 0.0, 2.0, 5.5, 11.0],
                                                                   [1, 3.0, 3.0, 10.0, 10.0]]))
            self.score = nn.Dense(5, flatten=False)

    def hybrid_forward(self, F, x, rois):
        f = F.relu(self.conv(x))
        ra = F.contrib.ROIAlign(f, rois, pooled_size=(2, 2), spatial_scale=0.5, sample_ratio=2)
        rp = F.ROIPooling(f, rois, pooled_size=(2, 2), spatial_scale=0.5)
        g = F.contrib.AdaptiveAvgPooling2D(f, output_size=(2, 3))
        anchors = F.contrib.MultiBoxPrior(f, sizes=(0.4, 0.2), ratios=(1, 2))  # (1, A, 4)
        scores = F.sigmoid(self.score(F.reshape(anchors, (-1, 4))))  # (A, 5): id, score, ...
        boxes = F.concat(F.slice_axis(scores, axis=1, begin=0, end=2), F.reshape(anchors, (-1, 4)), dim=1)
        kept = F.contrib.box_nms(F.expand_dims(boxes, 0), overlap_thresh=0.3, topk=20, coord_start=2, score_index=1,
                                 id_index=-1)
        return F.concat(F.flatten(ra).sum(axis=0), F.flatten(rp).sum(axis=0), F.flatten(g).sum(axis=0),
                        F.reshape(kept, (-1,)), dim=0)


det = DetHead()
det.initialize(mx.init.Xavier())
export(det, "det_head", nd.random.uniform(shape=(2, 3, 12, 12)))
from mxnet.gluon.contrib.nn import SyncBatchNorm  # noqa: E402

sync = nn.HybridSequential()
sync.add(nn.Conv2D(4, 3, padding=1), SyncBatchNorm(num_devices=1), nn.Activation("relu"), nn.Dense(3))
sync.initialize(mx.init.Xavier())
xs = nd.random.normal(shape=(2, 3, 6, 6))
with mx.autograd.record():
    sync(xs)  # updates the running statistics
export(sync, "syncbn", xs)
print("written to", HERE)
