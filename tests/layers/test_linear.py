"""Tests Linear and Embedding against torch.nn's parameter counts."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount.errors import ShapeMismatchError
from symcount.layers import Embedding, Linear
from symcount.symbols import V_tgt, d, n


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 10_000), st.booleans())
def test_linear_matches_torch(in_features, out_features, bias):
    module = torch.nn.Linear(in_features, out_features, bias=bias, device="meta")
    layer = Linear(in_features, out_features, bias=bias)
    assert layer.count("pytorch") == numel(module)
    assert {t.name: tuple(t.shape) for t in layer.tensors("pytorch")} == {
        name: tuple(p.shape) for name, p in module.named_parameters()
    }


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 200_000), st.integers(1, 4096))
def test_embedding_matches_torch(num_embeddings, embedding_dim):
    module = torch.nn.Embedding(num_embeddings, embedding_dim, device="meta")
    layer = Embedding(num_embeddings, embedding_dim)
    for convention in ("paper", "keras", "pytorch"):
        assert layer.count(convention) == numel(module)


@pytest.mark.parametrize(
    "convention,expected",
    [
        ("paper", n * V_tgt),
        ("keras", n * V_tgt + V_tgt),
        ("pytorch", n * V_tgt + V_tgt),
    ],
)
def test_linear_bias_follows_convention(convention, expected):
    assert Linear(n, V_tgt).count(convention) == expected


def test_linear_without_input_size_cannot_be_counted():
    with pytest.raises(ShapeMismatchError, match="in_features is unknown"):
        Linear(None, d).count()
