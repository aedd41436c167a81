"""mx.viz.print_summary (the table MXNet 1.9.1 prints for the same symbol) and plot_network."""
import mxcore as mx
import pytest


def _net():
    d = mx.sym.var("data")
    c = mx.sym.Convolution(d, kernel=(3, 3), num_filter=4, name="conv")
    b = mx.sym.BatchNorm(c, name="bn")
    a = mx.sym.Activation(b, act_type="relu", name="relu")
    f = mx.sym.FullyConnected(mx.sym.flatten(a), num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(f, name="softmax")


# MXNet 1.9.1's rows for this symbol and shape (its Flatten op is our flatten, by alias)
MXNET_ROWS = [("data(null)", "2x8x8", "0", ""), ("conv(Convolution)", "4x6x6", "76", "data"),
              ("bn(BatchNorm)", "4x6x6", "8", "conv"), ("relu(Activation)", "4x6x6", "0", "bn"),
              ("flatten0(Flatten)", "144", "0", "relu"), ("fc(FullyConnected)", "3", "435", "flatten0"),
              ("softmax(SoftmaxOutput)", "3", "0", "fc")]


def test_print_summary_matches_mxnet(capsys):
    with mx.name.NameManager():  # auto names count from 0, as in a fresh MXNet process
        net = _net()
    mx.viz.print_summary(net, shape={"data": (1, 2, 8, 8)})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Previous", "Layer"]
    rows = [ln for ln in lines[3:] if ln and ln[0] not in "_=" and not ln.startswith("Total")]
    got = [(ln[:52].strip(), ln[52:76].strip(), ln[76:88].strip(), ln[88:].strip()) for ln in rows]
    assert got == MXNET_ROWS
    assert "Total params: 519" in lines and all(len(ln) == 120 for ln in lines if ln and ln[0] in "_=")


def test_plot_network():
    pytest.importorskip("graphviz")
    dot = mx.viz.plot_network(_net(), shape={"data": (1, 2, 8, 8)})
    src = dot.source
    assert "Convolution" in src and "FullyConnected" in src and "conv_weight" not in src
    assert 'label="4x6x6"' in src or "label=4x6x6" in src
    assert "conv_weight" in mx.viz.plot_network(_net(), hide_weights=False).source
