"""Layer kinds, one module per family; every kind mirrors its torch.nn namesake."""

from __future__ import annotations

from symcount.layers.attention import (
    AdditiveAttention,
    GroupedQueryAttention,
    MultiheadAttention,
)
from symcount.layers.base import Composite, Layer, Tensor
from symcount.layers.conv import Conv1d, Conv2d, ConvTranspose2d, Flatten
from symcount.layers.embedding import Embedding
from symcount.layers.feedforward import FeedForward, GatedFeedForward
from symcount.layers.linear import Linear
from symcount.layers.moe import MixtureOfExperts
from symcount.layers.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from symcount.layers.opaque import Opaque
from symcount.layers.position import (
    PositionalEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
)
from symcount.layers.recurrent import GRU, LSTM, RNN
from symcount.layers.resnet import Bottleneck
from symcount.layers.transformer import TransformerDecoderLayer, TransformerEncoderLayer

__all__ = [
    "GRU",
    "KINDS",
    "LSTM",
    "RNN",
    "AdditiveAttention",
    "BatchNorm1d",
    "BatchNorm2d",
    "Bottleneck",
    "Composite",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "Embedding",
    "FeedForward",
    "Flatten",
    "GatedFeedForward",
    "GroupNorm",
    "GroupedQueryAttention",
    "Layer",
    "LayerNorm",
    "Linear",
    "MixtureOfExperts",
    "MultiheadAttention",
    "Opaque",
    "PositionalEmbedding",
    "RMSNorm",
    "RotaryEmbedding",
    "SinusoidalPositionalEncoding",
    "Tensor",
    "TransformerDecoderLayer",
    "TransformerEncoderLayer",
]

KINDS: dict[str, type[Layer]] = {
    kind.kind: kind
    for kind in (
        Embedding, Linear, RNN, LSTM, GRU,
        Conv1d, Conv2d, ConvTranspose2d, Flatten,
        LayerNorm, RMSNorm, BatchNorm1d, BatchNorm2d, GroupNorm,
        MultiheadAttention, GroupedQueryAttention, AdditiveAttention,
        FeedForward, GatedFeedForward,
        TransformerEncoderLayer, TransformerDecoderLayer,
        PositionalEmbedding, SinusoidalPositionalEncoding, RotaryEmbedding,
        MixtureOfExperts, Bottleneck, Opaque,
    )
}
"""Layer kinds by the name derivation files use for them."""
