"""The jinja2 environment of the report templates: LaTeX-safe and strict.

Templates use ``\\VAR{...}`` for values, ``\\BLOCK{...}`` for statements and
``\\#{...}`` for comments, so that braces and ``%`` stay LaTeX's. A missing
variable is an error, not an empty string. Every value a template prints is
escaped for LaTeX unless it is :class:`~symcount.render.latex.Latex`, so text
from a derivation file cannot inject commands.
"""

from __future__ import annotations

import functools
from numbers import Integral

import jinja2

from symcount.render.latex import Latex, escape_text

__all__ = ["environment", "finalize"]


def finalize(value: object) -> str:
    """Prints a template value: LaTeX as it is, text escaped, integers as digits.

    Raises:
        jinja2.UndefinedError: For a variable the context does not define.
        TypeError: For any other value (a SymPy expression, a float, ``None``),
            which must be typeset by the context module first.

    Example:
        >>> from symcount.render.environment import finalize
        >>> finalize("V_src & d")
        'V\\\\texttt{\\\\char95}src \\\\& d'
    """
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined raises, naming the variable
    if isinstance(value, Latex):
        return value
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, Integral) and not isinstance(value, bool):
        return str(int(value))
    raise TypeError(
        f"a report template printed {type(value).__name__} {value!r}; "
        "the context must give text, Latex or an int"
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The shared environment that loads ``symcount/render/templates``.

    Example:
        >>> from symcount.render.environment import environment
        >>> environment().from_string(r"\\VAR{x}").render(x="50%")
        '50\\\\%'
    """
    return jinja2.Environment(
        loader=jinja2.PackageLoader("symcount.render", "templates"),
        block_start_string="\\BLOCK{",
        block_end_string="}",
        variable_start_string="\\VAR{",
        variable_end_string="}",
        comment_start_string="\\#{",
        comment_end_string="}",
        line_statement_prefix=None,
        line_comment_prefix="%#",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
    )
