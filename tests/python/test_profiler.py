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
    """op -> call count, from the 'operator' block of MXNet's table layout."""
    rows, block = {}, None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 1 and not line.startswith(("=", "-")):
            block = parts[0]
        elif block == "operator" and len(parts) == 6 and parts[1].isdigit():
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
    with pytest.raises(ValueError, match="'table' or 'json'"):
        mx.profiler.dumps(format="xml")
    with pytest.raises(ValueError, match="sort_by"):
        mx.profiler.dumps(sort_by="median")
    with pytest.raises(ValueError, match="scope"):
        mx.profiler.Marker(mx.profiler.Domain("d"), "m").mark("galaxy")
    with pytest.raises(RuntimeError, match="without start"):
        mx.profiler.Event("e").stop()


def test_dumps_json_sorting_and_mxnet_markers(tmp_path):
    mx.profiler.dumps(reset=True)
    mx.profiler.set_config(profile_all=True, filename=str(tmp_path / "p.json"))
    mx.profiler.set_state("run")
    dom = mx.profiler.Domain("d1")
    task = dom.new_task("t1")
    task.start()
    x = mx.nd.ones((16, 16))
    for _ in range(3):
        mx.nd.dot(x, x)
    mx.nd.relu(x)
    task.stop()
    counter = mx.profiler.Counter(dom, "c1", 5)
    counter += 2
    counter.decrement(1)
    dom.new_marker("m1").mark("process")
    frame = dom.new_frame("f1")
    frame.start()
    frame.stop()
    event = mx.profiler.Event("e1")
    event.start()
    event.stop()
    mx.profiler.set_state("stop")
    event.start()
    event.stop()  # not recorded: the profiler is stopped
    # MXNet 1.9.1's JSON layout and categories: tasks under the domain, frames under
    # '<domain>,frame', events under 'event'.
    stats = json.loads(mx.profiler.dumps(format="json"))
    assert stats["Unit"]["Time"] == "ms"
    assert set(stats["Time"]) == {"operator", "d1", "d1,frame", "event"}
    assert sorted(stats["Time"]["d1"]) == ["t1"] and stats["Time"]["event"]["e1"]["Count"] == 1
    dot = stats["Time"]["operator"]["dot"]
    assert sorted(dot) == ["Avg", "Count", "Max", "Min", "Total"] and dot["Count"] == 3
    assert dot["Min"] <= dot["Avg"] <= dot["Max"] <= dot["Total"]
    by_count = list(json.loads(mx.profiler.dumps(format="json", sort_by="count"))["Time"]["operator"])
    assert by_count[0] == "dot" and by_count[-1] == "relu"
    by_count_up = list(json.loads(mx.profiler.dumps(format="json", sort_by="count", ascending=True))
                       ["Time"]["operator"])
    assert by_count_up == by_count[::-1]
    assert _table_rows(mx.profiler.dumps(sort_by="min")) == {"dot": 3, "relu": 1}
    mx.profiler.dump()
    trace = json.loads((tmp_path / "p.json").read_text())["traceEvents"]
    ts = [e["ts"] for e in trace]
    assert ts == sorted(ts)
    names = [e["name"] for e in trace]
    assert names.count("dot") == 3 and names.count("c1") == 3 and {"t1", "m1", "f1", "e1"} <= set(names)
    # the task spans the ops it timed: both sides use the same clock
    t1 = next(e for e in trace if e["name"] == "t1")
    dots = [e for e in trace if e["name"] == "dot"]
    assert all(t1["ts"] <= e["ts"] and e["ts"] + e["dur"] <= t1["ts"] + t1["dur"] for e in dots)
    assert [e["args"]["c1"] for e in trace if e["name"] == "c1"] == [5, 7, 6]
    assert _table_rows(mx.profiler.dumps()) == {}  # dump() cleared what was recorded


def test_env_var_prints_the_table_at_exit():
    code = "import mxcore as mx\nx = mx.nd.ones((8, 8))\nfor _ in range(3): mx.nd.dot(x, x)\n"
    env = dict(os.environ, MXCORE_PROFILE="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "mxcore profile" in r.stderr
    dot = [ln.split() for ln in r.stderr.splitlines() if ln.startswith("dot ")]
    assert len(dot) == 1 and int(dot[0][1]) == 3
