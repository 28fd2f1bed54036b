"""symcount: derive, prove and solve the parameter count of a network in closed form.

The public names below are imported on first use, so that the command line
starts, and refuses bad input, without waiting for SymPy and networkx to load.

Example:
    >>> from symcount import count_parameters
    >>> from symcount.layers import LSTM
    >>> from symcount.symbols import d, n
    >>> count_parameters(LSTM(d, n, 4)).total
    4*d*n + 28*n**2
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symcount.count import ParameterCount, count_parameters
    from symcount.errors import SymcountError
    from symcount.graph import Network
    from symcount.layers import GRU, LSTM, RNN, Embedding, Linear

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Embedding",
    "Linear",
    "Network",
    "ParameterCount",
    "SymcountError",
    "count_parameters",
]

_HOMES = {
    "GRU": "symcount.layers",
    "LSTM": "symcount.layers",
    "RNN": "symcount.layers",
    "Embedding": "symcount.layers",
    "Linear": "symcount.layers",
    "Network": "symcount.graph",
    "ParameterCount": "symcount.count",
    "SymcountError": "symcount.errors",
    "count_parameters": "symcount.count",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'symcount' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
