"""Runs the command line: ``python -m symcount``."""

from __future__ import annotations

import sys

from symcount.cli import main

if __name__ == "__main__":
    sys.exit(main())
