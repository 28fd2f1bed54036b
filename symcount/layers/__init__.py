"""Layer kinds, one module each; every kind mirrors its torch.nn namesake."""

from __future__ import annotations

from symcount.layers.base import Layer, Tensor
from symcount.layers.embedding import Embedding
from symcount.layers.linear import Linear
from symcount.layers.recurrent import GRU, LSTM, RNN

__all__ = ["GRU", "LSTM", "RNN", "Embedding", "Layer", "Linear", "Tensor", "KINDS"]

KINDS: dict[str, type[Layer]] = {
    kind.kind: kind for kind in (Embedding, Linear, RNN, LSTM, GRU)
}
"""Layer kinds by the name derivation files use for them."""
