"""``mx.util``: MXNet's numpy-mode switches (the same state as ``mx.npx``)."""
from __future__ import annotations

from .numpy_extension._mode import (is_np_array, is_np_shape, np_array, np_shape, reset_np, set_np,  # noqa: F401
                                    set_np_array, set_np_shape, use_np, use_np_array, use_np_shape)

__all__ = ["is_np_array", "is_np_shape", "np_array", "np_shape", "reset_np", "set_np", "set_np_array",
           "set_np_shape", "use_np", "use_np_array", "use_np_shape"]
