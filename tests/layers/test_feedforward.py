"""Tests the plain and gated feed-forward blocks against torch.nn and HF Llama."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_counts import numel, ours, torch_tensors
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaMLP

from symcount.layers import FeedForward, GatedFeedForward


@settings(max_examples=40, deadline=None)
@given(d=st.integers(1, 512), inner=st.integers(1, 2048), bias=st.booleans())
def test_feed_forward_matches_torch_encoder_layer_names(d, inner, bias):
    module = torch.nn.Module()
    module.linear1 = torch.nn.Linear(d, inner, bias=bias, device="meta")
    module.linear2 = torch.nn.Linear(inner, d, bias=bias, device="meta")
    layer = FeedForward(d, inner, bias=bias)
    assert ours(layer.tensors("pytorch")) == torch_tensors(module)
    assert layer.count("pytorch") == numel(module)


@settings(max_examples=40, deadline=None)
@given(half=st.integers(1, 256), inner=st.integers(1, 2048), bias=st.booleans())
def test_gated_feed_forward_matches_hf_llama_mlp(half, inner, bias):
    d = 2 * half  # one head of even size, as HF's rotary embedding requires
    config = LlamaConfig(hidden_size=d, num_attention_heads=1,
                         intermediate_size=inner, mlp_bias=bias)
    with torch.device("meta"):
        module = LlamaMLP(config)
    layer = GatedFeedForward(d, inner, bias=bias)
    assert ours(layer.tensors("pytorch")) == torch_tensors(module)
    assert layer.count("pytorch") == numel(module)
