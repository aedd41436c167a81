"""The event store behind ``mx.profiler``: the core's per-op trace (read back from
``mx_profiler_dump_trace``) merged with the events Python records for MXNet's
Task/Frame/Event/Counter/Marker, and the aggregate statistics MXNet's ``dumps()``
prints. Both sides stamp events in microseconds of CLOCK_MONOTONIC, so they line up."""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time

from .base import check_call, ffi, lib

_lock = threading.Lock()
_events: list = []


def now_us():
    return time.monotonic_ns() / 1e3


def add(event):
    with _lock:
        _events.append(event)


def clear():
    """Forget every recorded event, the core's included."""
    p = ffi.new("const char **")
    check_call(lib.mx_profiler_dumps(1, p))
    with _lock:
        _events.clear()


def _read_core(path, reset):
    check_call(lib.mx_profiler_dump_trace(path.encode(), 1 if reset else 0))
    with open(path) as f:
        return json.load(f)


def all_events():
    """Every event recorded so far (nothing is cleared)."""
    fd, path = tempfile.mkstemp(suffix=".json", prefix="mxcore_trace_")
    os.close(fd)
    try:
        core = _read_core(path, False)
    finally:
        os.unlink(path)
    with _lock:
        return core["traceEvents"] + list(_events)


def write(path, reset):
    """Write the merged trace to ``path`` (an unwritable path raises the core's error)."""
    core = _read_core(path, reset)
    with _lock:
        events = core["traceEvents"] + _events
        if reset:
            _events.clear()
    core["traceEvents"] = sorted(events, key=lambda e: e["ts"])
    with open(path, "w") as f:
        json.dump(core, f)


def aggregate(events, sort_by, ascending):
    """{category: [(name, count, total, min, max, avg), ...]} in ms, rows sorted by ``sort_by``."""
    spans: dict = {}
    for e in events:
        if e.get("ph") == "X":
            spans.setdefault(e.get("cat", ""), {}).setdefault(e["name"], []).append(e["dur"] / 1e3)
    column = {"count": 1, "total": 2, "min": 3, "max": 4, "avg": 5}[sort_by]
    out = {}
    for cat, by_name in spans.items():
        rows = [(name, len(d), sum(d), min(d), max(d), sum(d) / len(d)) for name, d in by_name.items()]
        out[cat] = sorted(rows, key=lambda r: r[column], reverse=not ascending)
    return out


def stats_table(stats):
    """MXNet's text layout: one block per category, times in ms."""
    lines = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
    for cat, rows in stats.items():
        lines += [cat, "=================",
                  "Name".ljust(30) + "Total Count".rjust(11) + "".join(
                      h.rjust(17) for h in ("Time (ms)", "Min Time (ms)", "Max Time (ms)", "Avg Time (ms)")),
                  "----".ljust(30) + "-----------".rjust(11) + "".join(
                      h.rjust(17) for h in ("---------", "-------------", "-------------", "-------------"))]
        for name, count, total, lo, hi, avg in rows:
            lines.append(name.ljust(30) + str(count).rjust(11)
                         + "".join(("%.4f" % v).rjust(17) for v in (total, lo, hi, avg)))
        lines.append("")
    return "\n".join(lines) + "\n"


def stats_json(stats):
    """MXNet's JSON layout: {"Time": {category: {name: {Count, Total, Min, Max, Avg}}}, "Unit": ...}."""
    time_stats = {cat: {name: {"Count": count, "Total": round(total, 3), "Min": round(lo, 3),
                               "Max": round(hi, 3), "Avg": round(avg, 3)}
                        for name, count, total, lo, hi, avg in rows}
                  for cat, rows in stats.items()}
    return json.dumps({"Time": time_stats, "Unit": {"Time": "ms"}}, indent=4)
