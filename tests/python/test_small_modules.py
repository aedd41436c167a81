"""The small MXNet 1.x modules programs import: mx.contrib (nd/sym aliases),
mx.log.get_logger and mx.engine's bulk settings."""
import logging

import numpy as np

import mxcore as mx


def test_contrib_aliases_are_the_nd_and_sym_contrib_namespaces():
    assert mx.contrib.nd is mx.nd.contrib and mx.contrib.ndarray is mx.nd.contrib
    assert mx.contrib.sym is mx.sym.contrib and mx.contrib.symbol is mx.sym.contrib
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    out = mx.contrib.nd.foreach(lambda d, s: (d * 2, s), x, [])[0]
    np.testing.assert_array_equal(out.asnumpy(), [[2, 4], [6, 8]])


def test_log_get_logger_configures_once(tmp_path):
    f = tmp_path / "train.log"
    log = mx.log.get_logger("mxcore_test_logger", filename=str(f), level=logging.INFO)
    assert mx.log.get_logger("mxcore_test_logger", filename=str(f), level=logging.INFO) is log
    log.info("epoch %d", 3)
    for h in log.handlers:
        h.flush()
    text = f.read_text()
    assert text.count("epoch 3") == 1 and "INFO mxcore_test_logger" in text


def test_engine_bulk_restores_the_previous_size():
    prev = mx.engine.set_bulk_size(30)
    with mx.engine.bulk(5):
        assert mx.engine.set_bulk_size(5) == 5
    assert mx.engine.set_bulk_size(prev) == 30
