"""mx.profiler over the core's per-op profiler: the aggregate table counts every
call, the trace is valid Chrome trace JSON, and MXCORE_PROFILE=1 still prints
the table at exit."""
import json
import os
import subprocess
import sys

import mxcore as mx
import pytest


def _table_rows(text):
    rows = {}
    for line in text.splitlines()[2:]:
        parts = line.split()
        if len(parts) == 5:
            rows[parts[0]] = int(parts[1])
    return rows


def test_table_and_trace(tmp_path):
    mx.profiler.dumps(reset=True)  # start from an empty table
    mx.profiler.set_config(profile_all=True, filename=str(tmp_path / "prof.json"))
    x = mx.nd.ones((64, 64))
    mx.nd.relu(x)  # not recorded: the profiler is stopped
    mx.profiler.set_state("run")
    assert mx.profiler.state() == "run"
    for _ in range(7):
        mx.nd.relu(mx.nd.dot(x, x))
    mx.profiler.set_state("stop")
    mx.nd.dot(x, x)  # not recorded either
    rows = _table_rows(mx.profiler.dumps())
    assert rows["dot"] == 7 and rows["relu"] == 7
    mx.profiler.dump()
    trace = json.loads((tmp_path / "prof.json").read_text())
    ev = trace["traceEvents"]
    assert [e["name"] for e in ev].count("dot") == 7 and [e["name"] for e in ev].count("relu") == 7
    assert all(e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0 for e in ev)
    ts = [e["ts"] for e in ev]
    assert ts == sorted(ts)
    mx.profiler.dumps(reset=True)
    assert _table_rows(mx.profiler.dumps()) == {}


def test_profiler_errors(tmp_path):
    with pytest.raises(ValueError, match="'run' or 'stop'"):
        mx.profiler.set_state("go")
    mx.profiler.set_config(filename=str(tmp_path / "no" / "such" / "dir.json"))
    with pytest.raises(mx.MXNetError, match="cannot write"):
        mx.profiler.dump()
    with pytest.raises(ValueError, match="format='table'"):
        mx.profiler.dumps(format="json")


def test_env_var_prints_the_table_at_exit():
    code = "import mxcore as mx\nx = mx.nd.ones((8, 8))\nfor _ in range(3): mx.nd.dot(x, x)\n"
    env = dict(os.environ, MXCORE_PROFILE="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "mxcore profile" in r.stderr
    dot = [ln.split() for ln in r.stderr.splitlines() if ln.startswith("dot ")]
    assert len(dot) == 1 and int(dot[0][1]) == 3
