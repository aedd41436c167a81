"""``mx.profiler``: MXNet 1.x's profiler API over the core's per-op profiler.

What is measured: the CPU kernel time of every op call (device kernels run
asynchronously and are not timed here), plus the spans, counters and markers a
program makes with MXNet's ``Domain``/``Task``/``Frame``/``Event``/``Counter``/
``Marker`` (recorded here in Python, on the core's clock, while the profiler
runs). ``dumps()`` gives the aggregate statistics per category (``operator``
for ops, the domain's name for tasks, '<domain>,frame', ``event``) as MXNet's table or
JSON; ``dump()`` writes every event to ``filename`` as Chrome trace-event JSON
(open it in chrome://tracing or Perfetto), as MXNet's profiler does.

    mx.profiler.set_config(profile_all=True, filename='profile.json')
    mx.profiler.set_state('run')
    ...                                   # the code to profile
    mx.profiler.set_state('stop')
    print(mx.profiler.dumps())
    mx.profiler.dump()                    # profile.json
"""
from __future__ import annotations

from . import _profiler_trace as _trace
from .base import check_call, lib

__all__ = ["set_config", "set_state", "state", "pause", "resume", "dump", "dumps", "profiler_set_config",
           "profiler_set_state", "dump_profile", "Domain", "Task", "Frame", "Event", "Counter", "Marker"]

_config = {"filename": "profile.json", "aggregate_stats": False}
_state = {"running": False, "paused": False}
_SORT_KEYS = ("total", "avg", "min", "max", "count")


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
    _state["paused"] = False
    check_call(lib.mx_profiler_set_state(1 if _state["running"] else 0, 1))


def state():
    """'run' or 'stop'."""
    return "run" if _state["running"] else "stop"


def pause(profile_process="worker"):
    _state["paused"] = True
    check_call(lib.mx_profiler_set_state(0, 1))


def resume(profile_process="worker"):
    _state["paused"] = False
    if _state["running"]:
        check_call(lib.mx_profiler_set_state(1, 1))


def _recording():
    return _state["running"] and not _state["paused"]


def dumps(reset=False, format="table", sort_by="total", ascending=False):
    """Aggregate statistics of what was recorded (per category and name: count, total,
    min, max and average time in ms), as MXNet's table (``format='table'``) or JSON
    (``format='json'``), rows sorted by ``sort_by`` ('total', 'avg', 'min', 'max' or
    'count'). ``reset=True`` clears what was recorded afterwards."""
    if format not in ("table", "json"):
        raise ValueError("profiler.dumps: format must be 'table' or 'json', got %r" % (format,))
    if sort_by not in _SORT_KEYS:
        raise ValueError("profiler.dumps: sort_by must be one of %s, got %r" % (", ".join(_SORT_KEYS), sort_by))
    stats = _trace.aggregate(_trace.all_events(), sort_by, ascending)
    if reset:
        _trace.clear()
    return _trace.stats_json(stats) if format == "json" else _trace.stats_table(stats)


def dump(finished=True, profile_process="worker"):
    """Write the recorded events (ops and the program's own spans, counters and markers)
    to the configured filename (Chrome trace JSON). ``finished=True`` (the default)
    also clears what was recorded."""
    _trace.write(str(_config.get("filename", "profile.json")), finished)


class Domain:
    """A named group of tasks, frames, counters and markers (MXNet's profiler.Domain)."""

    def __init__(self, name):
        self.name = name

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)

    def __str__(self):
        return self.name


class _Span:
    """A start()/stop() interval, recorded as one complete trace event."""

    def __init__(self, category, name):
        self.name = name
        self._category = category
        self._t0 = None

    def start(self):
        self._t0 = _trace.now_us()

    def stop(self):
        if self._t0 is None:
            raise RuntimeError("profiler %s '%s': stop() without start()" % (type(self).__name__, self.name))
        if _recording():
            _trace.add({"name": self.name, "cat": self._category, "ph": "X", "pid": 0, "tid": 0,
                        "ts": self._t0, "dur": _trace.now_us() - self._t0})
        self._t0 = None

    def __str__(self):
        return self.name


class Task(_Span):
    """A span of work in a domain (MXNet's profiler.Task): ``start()`` ... ``stop()``."""

    def __init__(self, domain, name):
        super().__init__(domain.name, name)
        self.domain = domain


class Frame(_Span):
    """A span of a frame-based workload in a domain (MXNet's profiler.Frame; its
    category is '<domain>,frame', as in MXNet's statistics)."""

    def __init__(self, domain, name):
        super().__init__(domain.name + ",frame", name)
        self.domain = domain


class Event(_Span):
    """A span outside any domain (MXNet's profiler.Event)."""

    def __init__(self, name):
        super().__init__("event", name)


class Counter:
    """A named value in a domain, recorded each time it changes (MXNet's profiler.Counter)."""

    def __init__(self, domain, name, value=None):
        self.domain = domain
        self.name = name
        self._value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        self._value = int(value)
        if _recording():
            _trace.add({"name": self.name, "cat": self.domain.name, "ph": "C", "pid": 0, "tid": 0,
                        "ts": _trace.now_us(), "args": {self.name: self._value}})

    def increment(self, delta=1):
        self.set_value(self._value + delta)

    def decrement(self, delta=1):
        self.set_value(self._value - delta)

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return self.name


class Marker:
    """An instant in a domain (MXNet's profiler.Marker); ``mark(scope)`` with scope
    'global', 'process', 'thread', 'task' or 'marker'."""
    _SCOPES = {"global": "g", "process": "p", "thread": "t", "task": "t", "marker": "t"}

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name

    def mark(self, scope="process"):
        if scope not in self._SCOPES:
            raise ValueError("profiler Marker.mark: scope must be one of %s, got %r"
                             % (", ".join(self._SCOPES), scope))
        if _recording():
            _trace.add({"name": self.name, "cat": self.domain.name + ",instant_marker", "ph": "i",
                        "s": self._SCOPES[scope], "pid": 0, "tid": 0, "ts": _trace.now_us()})


# MXNet 1.x's older names
profiler_set_config = set_config
profiler_set_state = set_state
dump_profile = dump
