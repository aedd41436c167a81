"""``mx.profiler``: MXNet 1.x's profiler API over the core's per-op profiler.

What is measured: the CPU kernel time of every op call (device kernels run
asynchronously and are not timed here). ``dumps()`` gives the aggregate table
(op, calls, total and mean time); ``dump()`` writes the per-call events to
``filename`` as Chrome trace-event JSON (open it in chrome://tracing or
Perfetto), as MXNet's profiler does. MXNet's custom markers (Domain, Task,
Frame, Counter, Marker) are not implemented.

    mx.profiler.set_config(profile_all=True, filename='profile.json')
    mx.profiler.set_state('run')
    ...                                   # the code to profile
    mx.profiler.set_state('stop')
    print(mx.profiler.dumps())
    mx.profiler.dump()                    # profile.json
"""
from __future__ import annotations

from .base import check_call, ffi, lib, py_str

__all__ = ["set_config", "set_state", "state", "pause", "resume", "dump", "dumps", "profiler_set_config",
           "profiler_set_state", "dump_profile"]

_config = {"filename": "profile.json", "aggregate_stats": False}
_state = {"running": False}


def set_config(**kwargs):
    """Accepts MXNet's keys (profile_all, profile_symbolic, profile_imperative,
    profile_memory, profile_api, filename, continuous_dump, aggregate_stats, ...);
    ``filename`` is where ``dump()`` writes the trace. The others are accepted:
    every op call is profiled either way."""
    _config.update(kwargs)


def set_state(state="stop", profile_process="worker"):
    """'run' starts recording, 'stop' stops it (what was recorded stays)."""
    if state not in ("run", "stop"):
        raise ValueError("profiler.set_state: state must be 'run' or 'stop', got %r" % (state,))
    _state["running"] = state == "run"
    check_call(lib.mx_profiler_set_state(1 if _state["running"] else 0, 1))


def state():
    """'run' or 'stop'."""
    return "run" if _state["running"] else "stop"


def pause(profile_process="worker"):
    check_call(lib.mx_profiler_set_state(0, 1))


def resume(profile_process="worker"):
    if _state["running"]:
        check_call(lib.mx_profiler_set_state(1, 1))


def dumps(reset=False, format="table", sort_by="total", ascending=False):
    """The aggregate table (per op: calls, total ms, mean us, share), sorted by total time."""
    if format != "table" or sort_by != "total" or ascending:
        raise ValueError("profiler.dumps: only format='table', sort_by='total', ascending=False are supported")
    p = ffi.new("const char **")
    check_call(lib.mx_profiler_dumps(1 if reset else 0, p))
    return py_str(p[0])


def dump(finished=True, profile_process="worker"):
    """Write the recorded per-call events to the configured filename (Chrome trace JSON).
    ``finished=True`` (the default) also clears what was recorded."""
    check_call(lib.mx_profiler_dump_trace(str(_config.get("filename", "profile.json")).encode(),
                                          1 if finished else 0))


# MXNet 1.x's older names
profiler_set_config = set_config
profiler_set_state = set_state
dump_profile = dump
