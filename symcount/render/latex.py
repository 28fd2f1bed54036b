"""LaTeX building blocks: the symbol printer, number formats and the text escaper.

This module is the only caller of SymPy's LaTeX printer in symcount's reports.
Everything it returns is :class:`Latex`, a string the report environment
prints as it is; any other string that reaches a template is escaped first.

Caveats:
    Reports use LaTeX's default OT1 fonts, so that they compile with the
    Debian packages ``texlive-latex-base`` and ``texlive-latex-recommended``
    alone, with no bitmap fonts. Characters those fonts lack (``_ ~ ^ < > |``)
    are set from the typewriter font, where they exist as glyphs and come back
    out of ``pdftotext`` as themselves, and ``$`` upright (italic Computer
    Modern has a pound sign in its place); a character the escaper does not
    know is shown as its code point, e.g. ``[U+263A]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import sympy
from sympy.printing.latex import LatexPrinter

__all__ = [
    "Latex",
    "SymbolPrinter",
    "escape_text",
    "join",
    "math",
    "number",
    "substituted",
    "symbol_name",
    "text",
]


class Latex(str):
    """A string of LaTeX source, printed by templates without escaping.

    Operations on it return plain ``str``, which templates escape again; so a
    value is trusted only when it was built here on purpose.
    """

    __slots__ = ()


_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
}


def _name_part(part: str, *, base: bool) -> str:
    if part in _GREEK:
        return f"\\{'lambda' if part == 'lambda' else part}"
    if len(part) == 1 or part.isdigit():
        return part
    return f"\\mathit{{{part}}}" if base else f"\\mathrm{{{part}}}"


def symbol_name(name: str) -> Latex:
    """Typesets a dimension symbol's name: ``V_src`` as ``V_{\\mathrm{src}}``.

    The part before the first underscore is the symbol (a Greek name becomes
    the letter, a longer word is set in italics as one word); the parts after
    it form the subscript, words upright. Trailing digits are a subscript too.

    Example:
        >>> from symcount.render.latex import symbol_name
        >>> print(symbol_name("d_model"), symbol_name("L"), symbol_name("W1"))
        d_{\\mathrm{model}} L W_{1}
    """
    head, _, tail = name.partition("_")
    match = re.fullmatch(r"([A-Za-z]+?)(\d+)", head)
    subscripts = [p for p in tail.split("_") if p]
    if match and not subscripts:
        head, subscripts = match[1], [match[2]]
    latex = _name_part(head, base=True) if head else ""
    if subscripts:
        latex += (
            "_{" + ",".join(_name_part(p, base=False) for p in subscripts) + "}"
        )
    return Latex(latex)


def _grouped(value: int) -> str:
    digits = (
        f"{abs(value):,}".replace(",", "{,}")
        if abs(value) >= 10_000
        else (str(abs(value)))
    )
    return ("-" if value < 0 else "") + digits


class SymbolPrinter(LatexPrinter):
    """SymPy's LaTeX printer with symcount's symbol names and digit grouping.

    Example:
        >>> from symcount.render.latex import SymbolPrinter
        >>> from symcount.symbols import V_src, d
        >>> SymbolPrinter().doprint(160_000 * V_src * d)
        '160{,}000 V_{\\\\mathrm{src}} d'
    """

    printmethod = "_symcount_latex"
    _default_settings = {**LatexPrinter._default_settings, "values": {}}

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        value = self._settings["values"].get(expr)
        if value is not None:
            return _grouped(int(value))
        return str(symbol_name(expr.name))

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return _grouped(int(expr))

    def _print_int(self, expr: int) -> str:
        return _grouped(expr)


_PRINTER = SymbolPrinter()


def math(expr: sympy.Basic | int) -> Latex:
    """Typesets a SymPy expression (or an int) as math-mode LaTeX.

    Example:
        >>> from symcount.render.latex import math
        >>> from symcount.symbols import n, L
        >>> print(math(8 * L * n**2))
        8 L n^{2}
    """
    return Latex(_PRINTER.doprint(sympy.sympify(expr)))


def substituted(
    expr: sympy.Basic, values: Mapping[sympy.Symbol, sympy.Expr]
) -> Latex:
    """Typesets ``expr`` with each symbol that has an integer value shown as it.

    The expression keeps its shape, so the reader sees the substitution step:
    nothing is multiplied out or cancelled.

    Example:
        >>> from symcount.render.latex import substituted
        >>> from symcount.symbols import V_src, d
        >>> print(substituted(V_src * d, {V_src: 160_000, d: 1000}))
        160{,}000 \\cdot 1000
    """
    numeric = {
        s: int(v) for s, v in values.items() if sympy.sympify(v).is_Integer
    }
    return Latex(
        SymbolPrinter({"values": numeric}).doprint(sympy.sympify(expr))
    )


def number(value: int | sympy.Expr) -> Latex:
    """Typesets a count for math mode, digits grouped: ``384{,}000{,}000``.

    Example:
        >>> from symcount.render.latex import number
        >>> print(number(384_000_000), number(1000))
        384{,}000{,}000 1000
    """
    value = sympy.sympify(value)
    if value.is_Integer:
        return Latex(_grouped(int(value)))
    return math(value)


def join(parts: Iterable[str], separator: str = ", ") -> Latex:
    """Joins LaTeX pieces; plain strings among them are escaped first.

    Example:
        >>> from symcount.render.latex import Latex, join
        >>> print(join([Latex("$x$"), "a&b"]))
        $x$, a\\&b
    """
    pieces = [p if isinstance(p, Latex) else escape_text(p) for p in parts]
    return Latex(escape_text(separator).join(pieces))


def text(value: str) -> Latex:
    """Escapes text for LaTeX; the same as :func:`escape_text`."""
    return escape_text(value)


_TT = "\\texttt{\\char%d}"
_ASCII = {
    "\\": "\\textbackslash{}",
    "{": "\\textbraceleft{}",
    "}": "\\textbraceright{}",
    "%": "\\%",
    "&": "\\&",
    "$": "{\\upshape\\char36}",
    "#": "\\#",
    "_": _TT % 95,
    "~": _TT % 126,
    "^": _TT % 94,
    "<": _TT % 60,
    ">": _TT % 62,
    "|": _TT % 124,
}
_UNICODE = {
    "\u00a0": "~",
    "\u2013": "--",
    "\u2014": "---",
    "\u2018": "`",
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u2026": "\\ldots{}",
    "\u00d7": "$\\times$",
    "\u00b7": "$\\cdot$",
    "\u2212": "$-$",
    "\u00df": "\\ss{}",
    "\u00e6": "\\ae{}",
    "\u00c6": "\\AE{}",
    "\u00f8": "\\o{}",
    "\u00d8": "\\O{}",
    "\u0153": "\\oe{}",
    "\u0152": "\\OE{}",
    "\u0142": "\\l{}",
    "\u0141": "\\L{}",
    "\u0131": "\\i{}",
    "\u00a7": "\\S{}",
    "\u00b6": "\\P{}",
    "\u2020": "\\dag{}",
    "\u2021": "\\ddag{}",
    "\u00a9": "\\copyright{}",
    "\u00a3": "\\pounds{}",
}
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0327": "c",
    "\u0328": "k",
    "\u0323": "d",
}


def _unicode(char: str) -> str:
    if char in _UNICODE:
        return _UNICODE[char]
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if (
        base.isascii()
        and base.isalpha()
        and marks
        and all(m in _ACCENTS for m in marks)
    ):
        latex = {"i": "\\i{}", "j": "\\j{}"}.get(base, base)
        for mark in marks:
            latex = f"\\{_ACCENTS[mark]}{{{latex}}}"
        return latex
    if unicodedata.category(char).startswith("Z"):
        return " "
    return f"\\texttt{{[U+{ord(char):04X}]}}"


def escape_text(value: str) -> Latex:
    """Escapes text from a derivation file so LaTeX prints it literally.

    Every character LaTeX would read as markup becomes a command that prints
    it; ``--`` and quotes are kept from turning into dashes and curly quotes
    except that straight double quotes pair up into opening and closing ones.
    Control characters and line breaks become spaces.

    Args:
        value: Any text.

    Returns:
        LaTeX source that typesets ``value`` in text mode.

    Example:
        >>> from symcount.render.latex import escape_text
        >>> print(escape_text("50% of {x} & \\\\input"))
        50\\% of \\textbraceleft{}x\\textbraceright{} \\& \\textbackslash{}input
    """
    out: list[str] = []
    quote_open = False
    for i, char in enumerate(str(value)):
        if char in _ASCII:
            out.append(_ASCII[char])
        elif char == '"':
            out.append("''" if quote_open else "``")
            quote_open = not quote_open
        elif char in "-`'" and i + 1 < len(value) and value[i + 1] == char:
            out.append(char + "{}")
        elif char == "\n" or (char.isascii() and not char.isprintable()):
            out.append(" ")
        elif char.isascii():
            out.append(char)
        else:
            out.append(_unicode(char))
    return Latex("".join(out))
