"""Tests learned, sinusoidal and rotary positions: only the learned ones count."""

from __future__ import annotations

import torch
from torch_counts import numel
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

from symcount.layers import (
    PositionalEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
)


def test_learned_positions_are_an_embedding_table():
    module = torch.nn.Embedding(1024, 768, device="meta")
    assert PositionalEmbedding(1024, 768).count() == numel(module) == 786_432


def test_sinusoidal_positions_have_no_parameters():
    assert SinusoidalPositionalEncoding(512).count("pytorch") == 0


def test_rotary_positions_have_no_parameters_nor_saved_buffers():
    with torch.device("meta"):
        module = LlamaRotaryEmbedding(LlamaConfig(hidden_size=4096,
                                                  num_attention_heads=32))
    assert numel(module) == 0
    assert "inv_freq" not in module.state_dict()
    layer = RotaryEmbedding(128)
    assert layer.count("pytorch") == 0 and layer.buffers() == ()
