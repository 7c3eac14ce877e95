"""The version of streaming_sync: the one place it is written (``pyproject.toml`` reads
it from here; ``streaming_sync.__version__`` and ``streaming-sync --version`` show it)."""

__version__ = "0.1.0"
