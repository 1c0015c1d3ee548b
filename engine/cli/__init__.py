"""The `knitflow` command line."""

from engine.cli.main import EXIT_INVALID, EXIT_NODE_FAILED, EXIT_OK, main

__all__ = ["EXIT_INVALID", "EXIT_NODE_FAILED", "EXIT_OK", "main"]
