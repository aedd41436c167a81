"""Model zoo: architectures with random weights (no downloads)."""
from . import vision  # noqa: F401
