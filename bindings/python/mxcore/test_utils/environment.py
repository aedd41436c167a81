"""The test run's surroundings: environment variables, stderr, retries of flaky tests,
and what this build and machine offer (GPUs, TVM ops, CI flavour)."""
from __future__ import annotations

import os
import platform
import sys
from contextlib import contextmanager


def _waitall():
    from .. import ndarray
    ndarray.waitall()


def _apply(env: dict) -> None:
    """Set each name to its value; None unsets it."""
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def environment(*args):
    """``with environment(name, value):`` or ``with environment({name: value, ...}):`` sets
    environment variables (None unsets) for the body and restores them afterwards, also
    when the body raises. The core reads the process environment, so it sees them too."""
    if len(args) == 1 and isinstance(args[0], dict):
        env = dict(args[0])
    else:
        assert len(args) == 2, "Expecting one dict arg or two args: env var name and value"
        env = {args[0]: args[1]}
    saved = {name: os.environ.get(name) for name in env}
    _apply(env)
    try:
        yield
    finally:
        _waitall()
        _apply(saved)


def set_env_var(key: str, val: str, default_val: str = "") -> str:
    """Set environment variable ``key`` to ``val``; returns its previous value
    (``default_val`` when it was unset)."""
    prev = os.environ.get(key, default_val)
    os.environ[key] = val
    return prev


@contextmanager
def discard_stderr():
    """Send everything written to the process's stderr (Python and C alike) to
    /dev/null inside the ``with`` body."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced by an object without a descriptor
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), fd)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)


def retry(n: int):
    """Decorator: run a stochastic test up to ``n`` times; only the last AssertionError
    propagates."""
    assert n > 0

    def decorate(f):
        def wrapper(*args, **kwargs):
            for attempt in range(n):
                try:
                    return f(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
                    _waitall()
        wrapper.__name__, wrapper.__doc__ = f.__name__, f.__doc__
        return wrapper
    return decorate


def list_gpus():
    """range over the GPU ids this process can use (empty without a CUDA device)."""
    from ..context import num_gpus
    return range(num_gpus())


def is_cd_run() -> bool:
    """True inside a Continuous Delivery job (CD_JOB=1)."""
    return os.environ.get("CD_JOB", 0) == "1"


def is_aarch64_run() -> bool:
    """True on an aarch64 machine."""
    return platform.machine() == "aarch64"


def has_tvm_ops() -> bool:
    """False: mxcore has no TVM-generated operators."""
    return False


def is_op_runnable() -> bool:
    """True: without TVM ops every registered op runs on every device it supports."""
    return True
