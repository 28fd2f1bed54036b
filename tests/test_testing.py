"""Tests the pytest helper assert_parameter_count against torch.nn and HuggingFace."""

from __future__ import annotations

import pytest
import torch
import transformers
from torch import nn

from symcount.errors import InputError
from symcount.testing import assert_parameter_count

SMALL = {"V_src": 1600, "V_tgt": 800, "d": 10, "n": 12}


class Seq2Seq(nn.Module):
    """Sutskever et al.'s model with small sizes, as a user would write it."""

    def __init__(self, decoder_layers: int = 4, extra: bool = False) -> None:
        super().__init__()
        self.embed_src = nn.Embedding(1600, 10)
        self.encoder = nn.LSTM(10, 12, 4)
        self.embed_tgt = nn.Embedding(800, 10)
        self.decoder = nn.LSTM(10, 12, decoder_layers)
        self.softmax = nn.Linear(12, 800)
        if extra:
            self.temperature = nn.Parameter(torch.ones(7))


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_a_matching_model_passes_and_returns_its_count():
    model = Seq2Seq()
    assert assert_parameter_count(
        model, "seq2seq", convention="pytorch", values=SMALL
    ) == numel(model)


def test_the_failure_shows_the_node_that_differs():
    model = Seq2Seq(decoder_layers=3, extra=True)
    with pytest.raises(AssertionError) as caught:
        assert_parameter_count(
            model, "seq2seq", convention="pytorch", values=SMALL
        )
    message = str(caught.value)
    lines = message.splitlines()
    gap = numel(model) - numel(Seq2Seq())
    assert lines[0] == (
        f"Seq2Seq has {numel(model):,} parameters; seq2seq gives "
        f"{numel(Seq2Seq()):,} under the pytorch convention "
        f"(module - derived = {gap:+,})"
    )
    rows = {
        line.split()[1] if line.split()[0] == "*" else line.split()[0]: line
        for line in lines[2:7]
    }
    layer = 4 * 12 * (12 + 12) + 8 * 12  # one more LSTM layer in torch's terms
    assert rows["decoder"].split()[0] == "*"
    assert rows["decoder"].split()[-1] == f"{-layer:+,}"
    assert rows["decoder"].split()[1:3] == ["decoder", "n**2*(8*L"]
    assert not rows["encoder"].startswith("  *")
    assert "module parameters no node names: temperature 7" in message
    assert "values: V_src=1600, V_tgt=800, d=10, n=12, L=4" in message


def test_the_failure_names_the_convention_that_would_agree():
    with pytest.raises(AssertionError) as caught:
        assert_parameter_count(Seq2Seq(), "seq2seq", values=SMALL)
    assert str(caught.value).splitlines()[-1] == (
        f"  under the pytorch convention the derivation gives "
        f"{numel(Seq2Seq()):,}: the module's count"
    )


def test_a_huggingface_model_against_the_catalogue():
    config = transformers.GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=100, n_positions=32
    )
    with torch.device("meta"):
        model = transformers.GPT2LMHeadModel(config)
    values = {
        "n_vocab": 100,
        "n_ctx": 32,
        "d_model": 64,
        "n_layer": 2,
        "n_head": 4,
    }
    assert assert_parameter_count(model, "gpt2-small", values=values) == numel(
        model
    )
    with pytest.raises(AssertionError) as caught:
        assert_parameter_count(
            model, "gpt2-small", values={**values, "n_layer": 3}
        )
    row = next(
        line
        for line in str(caught.value).splitlines()
        if line.split()[:2] == ["*", "h"]
    )
    per_block = numel(model.transformer.h[0])
    assert row.split()[-3:] == [
        f"{3 * per_block:,}",
        f"{2 * per_block:,}",
        f"{-per_block:+,}",
    ]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"D": 3}, "unknown symbol 'D'; declared symbols: V_src"),
        ({"n": "d +"}, "is not an expression"),
        ({"n": "__import__('os')"}, "not allowed"),
    ],
)
def test_bad_values_are_input_errors(values, message):
    with pytest.raises(InputError, match=message):
        assert_parameter_count(Seq2Seq(), "seq2seq", values=values)
