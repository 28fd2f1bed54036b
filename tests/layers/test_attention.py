"""Tests the attention layers against torch.nn and HuggingFace's Llama attention."""

from __future__ import annotations

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_counts import assert_matches, numel, ours, torch_tensors
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaAttention

from symcount.errors import InputError
from symcount.layers import AdditiveAttention, GroupedQueryAttention, MultiheadAttention
from symcount.symbols import d_model, dimension, n


@settings(max_examples=60, deadline=None)
@given(
    heads=st.integers(1, 8),
    head_dim=st.integers(1, 16),
    kdim=st.one_of(st.none(), st.integers(1, 64)),
    vdim=st.one_of(st.none(), st.integers(1, 64)),
    bias=st.booleans(),
    add_bias_kv=st.booleans(),
)
def test_multihead_attention_matches_torch(heads, head_dim, kdim, vdim, bias,
                                           add_bias_kv):
    embed = heads * head_dim
    module = torch.nn.MultiheadAttention(embed, heads, bias=bias,
                                         add_bias_kv=add_bias_kv, kdim=kdim,
                                         vdim=vdim, device="meta")
    layer = MultiheadAttention(embed, heads, bias=bias, add_bias_kv=add_bias_kv,
                               kdim=kdim, vdim=vdim)
    assert_matches(layer, module)


def test_multihead_attention_symbolic_formula():
    kdim = dimension("kdim")
    formula = MultiheadAttention(d_model, 8, kdim=kdim).count("pytorch")
    module = torch.nn.MultiheadAttention(64, 8, kdim=24, device="meta")
    assert formula.subs({d_model: 64, kdim: 24}) == numel(module)


def test_multihead_attention_heads_must_divide():
    with pytest.raises(InputError, match="not divisible by num_heads=3"):
        MultiheadAttention(64, 3)


def llama_attention(hidden, heads, kv_heads, head_dim, bias):
    config = LlamaConfig(hidden_size=hidden, num_attention_heads=heads,
                         num_key_value_heads=kv_heads, head_dim=head_dim,
                         attention_bias=bias)
    with torch.device("meta"):
        return LlamaAttention(config, layer_idx=0)


@settings(max_examples=40, deadline=None)
@given(
    kv_heads=st.integers(1, 4),
    group=st.integers(1, 4),
    half_head=st.integers(1, 16),
    width=st.integers(1, 32),
    bias=st.booleans(),
)
def test_grouped_query_attention_matches_hf_llama(kv_heads, group, half_head, width,
                                                  bias):
    # HF requires the hidden size to be a multiple of the heads, and an even
    # head size for its rotary embedding.
    heads, head_dim = kv_heads * group, 2 * half_head
    hidden = heads * width
    module = llama_attention(hidden, heads, kv_heads, head_dim, bias)
    layer = GroupedQueryAttention(hidden, heads, kv_heads, head_dim=head_dim,
                                  bias=bias)
    assert ours(layer.tensors("pytorch")) == torch_tensors(module)
    assert layer.count("pytorch") == numel(module)


def test_multi_query_attention_has_one_key_head():
    module = llama_attention(512, 8, 1, 64, False)
    layer = GroupedQueryAttention(d_model, 8, 1)
    assert layer.count().subs(d_model, 512) == numel(module)
    assert layer.count() == sympy.expand(2 * d_model**2 + 2 * d_model**2 / 8)


def test_grouped_query_attention_default_is_multi_head():
    plain = MultiheadAttention(d_model, 8).count("pytorch")
    assert GroupedQueryAttention(d_model, 8).count("pytorch") == plain


def test_kv_heads_must_divide_heads():
    with pytest.raises(InputError, match="not divisible by num_kv_heads=3"):
        GroupedQueryAttention(64, 8, 3)


def test_additive_attention_has_bahdanaus_shapes():
    # Appendix A.1.2: v_a in R^{n'}, W_a in R^{n' x n}, U_a in R^{n' x 2n}.
    n_a = dimension("n_a")
    layer = AdditiveAttention(n, 2 * n, n_a)
    assert {t.name: t.shape for t in layer.tensors()} == {
        "query.weight": (n_a, n), "key.weight": (n_a, 2 * n),
        "energy.weight": (1, n_a)}
    assert layer.count("pytorch") == layer.count() + n_a
