"""The ``trialscope`` command line: a thin layer over the library."""

from trialscope.cli.app import app, main

__all__ = ["app", "main"]
