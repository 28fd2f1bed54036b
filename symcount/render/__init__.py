"""The proof document: a derivation rendered as LaTeX, and compiled to PDF."""

from __future__ import annotations

from symcount.render.context import Layout
from symcount.render.pdf import INSTALL_COMMAND
from symcount.render.report import ReportFiles, render_report, write_report

__all__ = [
    "INSTALL_COMMAND",
    "Layout",
    "ReportFiles",
    "render_report",
    "write_report",
]
