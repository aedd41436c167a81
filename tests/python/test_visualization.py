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


def test_print_summary_without_shape_lists_first_input(capsys):
    # MXNet 1.9.1 prints the first input's row and names it as conv's previous layer even
    # without shapes (shape columns empty).
    with mx.name.NameManager():
        net = _net()
    mx.viz.print_summary(net)
    lines = capsys.readouterr().out.splitlines()
    rows = [ln for ln in lines[3:] if ln and ln[0] not in "_=" and not ln.startswith("Total")]
    got = [(ln[:52].strip(), ln[52:76].strip(), ln[88:].strip()) for ln in rows]
    assert got[:2] == [("data(null)", "", ""), ("conv(Convolution)", "", "data")]


def test_plot_network_source_matches_mxnet():
    pytest.importorskip("graphviz")
    x = mx.sym.var("data")
    f = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    src = mx.viz.plot_network(f, shape={"data": (2, 5)}, dtype={"data": "float16"}, hide_weights=False).source
    lines = [ln.strip() for ln in src.strip().splitlines()]
    # MXNet 1.9.1's lines for the same call: nodes by name, edges from the op back to its inputs.
    assert lines == [
        "digraph plot {",
        'data [label=data fillcolor="#8dd3c7" fixedsize=true height=0.8034 shape=oval style=filled width=1.3]',
        'fc [label="FullyConnected',
        '3" fillcolor="#fb8072" fixedsize=true height=0.8034 shape=box style=filled width=1.3]',
        'fc -> data [label="5(float16)" arrowtail=open dir=back]',
        'fc -> fc_weight [label="5(float16)" arrowtail=open dir=back]',
        'fc -> fc_bias [label="(float16)" arrowtail=open dir=back]',
        "}"]
    with mx.name.NameManager():
        net = _net()
    src = mx.viz.plot_network(net, shape={"data": (1, 2, 8, 8)}).source
    assert 'conv [label="Convolution\n3x3/1, 4"' in src and "bn [label=bn" in src
    assert 'relu [label="Activation\nrelu"' in src and 'conv -> data [label="2x8x8"' in src
    assert "conv_weight" not in src and "softmax -> softmax_label" in src
