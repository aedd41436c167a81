"""The fused ``RNN`` op (LSTM, GRU, vanilla) -> ONNX LSTM / GRU / RNN."""
from __future__ import annotations
