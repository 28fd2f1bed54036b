"""Tests the transformer blocks against torch.nn's encoder and decoder layers."""

from __future__ import annotations

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_counts import assert_matches, numel

from symcount.layers import TransformerDecoderLayer, TransformerEncoderLayer
from symcount.symbols import dimension

KINDS = {TransformerEncoderLayer: torch.nn.TransformerEncoderLayer,
         TransformerDecoderLayer: torch.nn.TransformerDecoderLayer}


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(list(KINDS)),
    heads=st.integers(1, 8),
    head_dim=st.integers(1, 16),
    inner=st.integers(1, 256),
    norm_first=st.booleans(),
    bias=st.booleans(),
)
def test_matches_torch_tensor_by_tensor(kind, heads, head_dim, inner, norm_first,
                                        bias):
    d = heads * head_dim
    module = KINDS[kind](d, heads, inner, norm_first=norm_first, bias=bias,
                         device="meta")
    assert_matches(kind(d, heads, inner, norm_first=norm_first, bias=bias), module)


@pytest.mark.parametrize("kind", list(KINDS))
def test_symbolic_formula_matches_torch(kind):
    d_model, d_ff = dimension("d_model"), dimension("d_ff")
    formula = kind(d_model, 8, d_ff).count("pytorch")
    module = KINDS[kind](512, 8, 2048, device="meta")
    assert formula.subs({d_model: 512, d_ff: 2048}) == numel(module)


def test_paper_convention_drops_every_bias():
    d_model, d_ff = dimension("d_model"), dimension("d_ff")
    count = TransformerEncoderLayer(d_model, 8, d_ff).count("paper")
    # Vaswani et al. (2017): W^Q, W^K, W^V, W^O (4 d_model^2), W_1, W_2 of
    # the feed-forward network, and the gains of two layer norms.
    assert count == sympy.expand(4 * d_model**2 + 2 * d_model * d_ff + 2 * d_model)
