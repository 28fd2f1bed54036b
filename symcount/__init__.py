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
    from symcount.hf_config import load_hf_config
    from symcount.layers import (
        GRU,
        LSTM,
        RNN,
        Conv2d,
        Embedding,
        LayerNorm,
        Linear,
        MultiheadAttention,
        TransformerEncoderLayer,
    )
    from symcount.render import render_report
    from symcount.solve import solve_for
    from symcount.torch_import import from_torch

_HOMES = {
    "GRU": "symcount.layers",
    "LSTM": "symcount.layers",
    "RNN": "symcount.layers",
    "Conv2d": "symcount.layers",
    "Embedding": "symcount.layers",
    "LayerNorm": "symcount.layers",
    "Linear": "symcount.layers",
    "MultiheadAttention": "symcount.layers",
    "TransformerEncoderLayer": "symcount.layers",
    "Network": "symcount.graph",
    "ParameterCount": "symcount.count",
    "SymcountError": "symcount.errors",
    "count_parameters": "symcount.count",
    "render_report": "symcount.render",
    "solve_for": "symcount.solve",
    "from_torch": "symcount.torch_import",
    "load_hf_config": "symcount.hf_config",
}

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Conv2d",
    "Embedding",
    "LayerNorm",
    "Linear",
    "MultiheadAttention",
    "Network",
    "ParameterCount",
    "SymcountError",
    "TransformerEncoderLayer",
    "count_parameters",
    "from_torch",
    "load_hf_config",
    "render_report",
    "solve_for",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'symcount' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
