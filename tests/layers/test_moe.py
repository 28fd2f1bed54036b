"""Tests the mixture of experts: total and active parameters, against torch and HF."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_counts import numel, torch_tensors
from transformers import MixtralConfig
from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock

from symcount.errors import InputError
from symcount.layers import MixtureOfExperts


def expand(tensors, experts: int) -> dict[str, tuple[int, ...]]:
    """Our tensors with ``{k}`` written out for every expert."""
    names = {}
    for t in tensors:
        shape = tuple(int(s) for s in t.shape)
        for k in range(experts if "{k}" in t.name else 1):
            names[t.name.replace("{k}", str(k))] = shape
    return names


@settings(max_examples=30, deadline=None)
@given(d=st.integers(1, 64), inner=st.integers(1, 128), experts=st.integers(1, 8),
       bias=st.booleans())
def test_plain_experts_match_torch_modules(d, inner, experts, bias):
    module = torch.nn.Module()
    module.gate = torch.nn.Linear(d, experts, bias=False, device="meta")
    module.experts = torch.nn.ModuleList()
    for _ in range(experts):
        expert = torch.nn.Module()
        expert.linear1 = torch.nn.Linear(d, inner, bias=bias, device="meta")
        expert.linear2 = torch.nn.Linear(inner, d, bias=bias, device="meta")
        module.experts.append(expert)
    layer = MixtureOfExperts(d, inner, experts, bias=bias)
    assert expand(layer.tensors("pytorch"), experts) == torch_tensors(module)
    assert layer.count("pytorch") == numel(module)
    active = numel(module.gate) + numel(module.experts[0])
    assert layer.active_count("pytorch") == active


@settings(max_examples=30, deadline=None)
@given(d=st.integers(1, 64), inner=st.integers(1, 128), experts=st.integers(1, 8),
       data=st.data())
def test_gated_experts_match_hf_mixtral(d, inner, experts, data):
    top_k = data.draw(st.integers(1, experts))
    config = MixtralConfig(hidden_size=d, intermediate_size=inner,
                           num_local_experts=experts, num_experts_per_tok=top_k)
    with torch.device("meta"):
        module = MixtralSparseMoeBlock(config)
    layer = MixtureOfExperts(d, inner, experts, top_k, gated=True, bias=False)
    assert layer.count("pytorch") == numel(module)
    per_expert = (numel(module) - numel(module.gate)) // experts
    assert layer.active_count("pytorch") == numel(module.gate) + top_k * per_expert


def test_mixtral_8x7b_total_and_active():
    # Jiang et al. (2024), "Mixtral of Experts": 47B parameters, 13B active.
    layer = MixtureOfExperts(4096, 14336, 8, 2, gated=True, bias=False)
    attention_and_norms = 4096 * 4096 * 2 + 4096 * 1024 * 2 + 2 * 4096
    embeddings = 2 * 32000 * 4096 + 4096
    total = 32 * (layer.count() + attention_and_norms) + embeddings
    active = 32 * (layer.active_count() + attention_and_norms) + embeddings
    assert round(total, -9) == 47_000_000_000
    assert round(active, -9) == 13_000_000_000


def test_top_k_cannot_exceed_experts():
    with pytest.raises(InputError, match="top_k=3 exceeds num_experts=2"):
        MixtureOfExperts(8, 16, 2, 3)
