"""Compiling a report to PDF with latexmk or pdflatex, safely and all-or-nothing.

TeX runs in a fresh temporary folder, non-interactively, without shell escape
(``\\write18`` does nothing) and with kpathsea's paranoid file access
(``openin_any=p``, ``openout_any=p``: no absolute paths, no ``..``, no dot
files). On failure the error quotes the ``!`` line of the LaTeX log and its
source line. Results reach the output folder by atomic renames, and only
once everything succeeded, so a failed run leaves the folder as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from symcount.errors import RenderError

__all__ = [
    "INSTALL_COMMAND",
    "Compiled",
    "compile_pdf",
    "find_engine",
    "safe_stem",
    "write_files",
]

INSTALL_COMMAND = (
    "apt-get install texlive-latex-base texlive-latex-recommended "
    "texlive-pictures latexmk"
)
"""The Debian command that installs what the reports need."""

_TEX_FLAGS = [
    "-interaction=nonstopmode",
    "-halt-on-error",
    "-no-shell-escape",
    "-file-line-error",
]
_TIMEOUT = 300


@dataclass(frozen=True)
class Compiled:
    """A compiled document: the PDF's bytes and the LaTeX log of the last run."""

    pdf: bytes
    log: str

    @property
    def overfull(self) -> tuple[str, ...]:
        """The log's "Overfull \\hbox" lines: text that runs into the margin."""
        return tuple(
            line
            for line in self.log.splitlines()
            if line.startswith("Overfull \\hbox")
        )


def find_engine() -> list[str] | None:
    """The command that turns ``NAME.tex`` into ``NAME.pdf``, or ``None``.

    latexmk is preferred (it reruns pdflatex as often as needed, and ignores
    the user's latexmkrc files); plain pdflatex is run twice.

    Example:
        >>> from symcount.render.pdf import find_engine
        >>> find_engine()[0] in ("latexmk", "pdflatex")
        True
    """
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-norc", "-pdf", "-quiet", *_TEX_FLAGS]
    if shutil.which("pdflatex"):
        return ["pdflatex", *_TEX_FLAGS]
    return None


def safe_stem(name: str) -> str:
    """A file name stem made of ``name``'s letters, digits, ``-`` and ``_``.

    Example:
        >>> from symcount.render.pdf import safe_stem
        >>> safe_stem("../my paper")
        'my_paper'
    """
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")
    return stem or "report"


def _environment() -> Mapping[str, str]:
    env = dict(os.environ)
    env.update(
        openin_any="p",
        openout_any="p",
        shell_escape="f",
        max_print_line="1000",
        error_line="254",
        half_error_line="238",
    )
    return env


def _log_error(log: Path, source: str) -> str:
    """The first ``!`` error of a LaTeX log, with the source line it names."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log was written"
    for i, line in enumerate(lines):
        match = re.match(rf"(?:\./)?{re.escape(source)}:(\d+): (.*)", line)
        if line.startswith("!") or match:
            message = match[2] if match else line.lstrip("! ")
            number = match[1] if match else None
            for later in lines[i + 1 : i + 12]:
                found = re.match(r"l\.(\d+)", later)
                if found and number is None:
                    number = found[1]
                    break
            where = f"{source} line {number}" if number else source
            return f"{where}: ! {message.strip()}"
    return "no '!' error line in the log"


def compile_pdf(
    tex: str, stem: str, *, engine: list[str] | None = None
) -> Compiled:
    """Compiles the LaTeX source ``tex`` into a PDF.

    Args:
        tex: A complete LaTeX document.
        stem: The job name, e.g. ``"seq2seq"``; see :func:`safe_stem`.
        engine: The command from :func:`find_engine`; found if ``None``.

    Returns:
        The PDF and the log, as :class:`Compiled`.

    Raises:
        RenderError: If no TeX is installed, or TeX fails; the message names
            the log's ``!`` line and the source line.

    Example:
        >>> from symcount.render.pdf import compile_pdf
        >>> doc = r"\\documentclass{article}\\begin{document}Hi\\end{document}"
        >>> compile_pdf(doc, "hello").pdf[:5]
        b'%PDF-'
    """
    engine = engine or find_engine()
    if engine is None:
        raise RenderError(
            "no LaTeX found (latexmk or pdflatex); to make PDFs, "
            f"install it: {INSTALL_COMMAND}"
        )
    stem = safe_stem(stem)
    with tempfile.TemporaryDirectory(prefix="symcount-tex-") as folder:
        work = Path(folder)
        (work / f"{stem}.tex").write_text(tex, encoding="utf-8")
        runs = 1 if engine[0] == "latexmk" else 2
        for _ in range(runs):
            try:
                done = subprocess.run(
                    [*engine, f"{stem}.tex"],
                    cwd=work,
                    env=_environment(),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise RenderError(
                    f"LaTeX took longer than {_TIMEOUT} s on "
                    f"{stem}.tex; stopped"
                ) from None
            pdf = work / f"{stem}.pdf"
            if done.returncode != 0 or not pdf.is_file():
                error = _log_error(work / f"{stem}.log", f"{stem}.tex")
                raise RenderError(f"LaTeX failed: {error}")
        log = (work / f"{stem}.log").read_text(errors="replace")
        return Compiled(pdf.read_bytes(), log)


def write_files(directory: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Writes ``files`` (name to content) into ``directory``, all or nothing.

    Each file is first written in full under a hidden temporary name in the
    same folder, then renamed over its target; if any write fails, the
    temporary files are removed and no target is touched.

    Returns:
        The paths written, in the order given.

    Raises:
        RenderError: If the folder cannot be made or written to.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from symcount.render.pdf import write_files
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     [p.name for p in write_files(Path(folder), {"a.tex": b"x"})]
        ['a.tex']
    """
    staged: list[tuple[Path, Path]] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            handle, temporary = tempfile.mkstemp(
                prefix=f".{name}.", dir=directory
            )
            staged.append((Path(temporary), directory / name))
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.chmod(temporary, 0o644)
        for temporary, target in staged:
            os.replace(temporary, target)
    except OSError as err:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise RenderError(
            f"cannot write the report into {directory}: {err.strerror or err}"
        ) from None
    return [target for _, target in staged]
