"""symcount: derive, prove and solve the parameter count of a network in closed form.

Example:
    >>> from symcount import count_parameters
    >>> from symcount.layers import LSTM
    >>> from symcount.symbols import d, n
    >>> count_parameters(LSTM(d, n, 4)).total
    4*d*n + 28*n**2
"""

from __future__ import annotations

from symcount.count import ParameterCount, count_parameters
from symcount.errors import SymcountError
from symcount.from_torch import from_torch
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

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Conv2d",
    "Embedding",
    "LayerNorm",
    "Linear",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "Network",
    "ParameterCount",
    "SymcountError",
    "count_parameters",
    "from_torch",
    "load_hf_config",
    "render_report",
]
