"""Tests the RNN, LSTM and GRU formulas against torch.nn's own parameter counts."""

from __future__ import annotations

import itertools

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount.errors import InputError
from symcount.layers import GRU, LSTM, RNN
from symcount.symbols import L, d, n

TORCH = {RNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}


def torch_parameters(kind, *args, **kwargs) -> dict[str, int]:
    module = TORCH[kind](*args, device="meta", **kwargs)
    return {name: p.numel() for name, p in module.named_parameters()}


GRID = [
    (kind, input_size, hidden, layers, bias, bidirectional, proj)
    for kind, input_size, hidden, layers, bias, bidirectional, proj
    in itertools.product(
        TORCH, [1, 7], [3, 10], [1, 2, 5], [True, False], [True, False], [0, 2]
    )
    if proj == 0 or kind is LSTM
]


@pytest.mark.parametrize("kind,input_size,hidden,layers,bias,bidirectional,proj", GRID)
def test_matches_torch_tensor_by_tensor(
    kind, input_size, hidden, layers, bias, bidirectional, proj
):
    extra = {"proj_size": proj} if proj else {}
    expected = torch_parameters(kind, input_size, hidden, layers, bias=bias,
                                bidirectional=bidirectional, **extra)
    layer = kind(input_size, hidden, layers, bias=bias, bidirectional=bidirectional,
                 **extra)
    tensors = layer.tensors("pytorch")
    assert {t.name: int(t.numel) for t in tensors} == expected
    assert [t.name for t in tensors] == list(expected)
    assert layer.count("pytorch") == sum(expected.values())


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(list(TORCH)),
    input_size=st.integers(1, 300),
    hidden=st.integers(2, 300),
    layers=st.integers(1, 6),
    bidirectional=st.booleans(),
    bias=st.booleans(),
    data=st.data(),
)
def test_symbolic_formula_matches_torch(
    kind, input_size, hidden, layers, bidirectional, bias, data
):
    proj = data.draw(st.integers(0, hidden - 1)) if kind is LSTM else 0
    extra = {"proj_size": proj} if proj else {}
    expected = sum(torch_parameters(kind, input_size, hidden, layers, bias=bias,
                                    bidirectional=bidirectional, **extra).values())
    symbolic = kind(d, n, L, bias=bias, bidirectional=bidirectional, **extra)
    formula = symbolic.count("pytorch")
    assert formula.subs({d: input_size, n: hidden, L: layers}) == expected


def test_pytorch_convention_is_torch_default_bias():
    expected = sum(torch_parameters(LSTM, 1000, 1000, 4).values())
    assert LSTM(1000, 1000, 4).count("pytorch") == expected == 32_032_000


def test_paper_convention_has_no_bias():
    expected = sum(torch_parameters(LSTM, 1000, 1000, 4, bias=False).values())
    assert LSTM(1000, 1000, 4).count("paper") == expected == 32_000_000


def test_explicit_bias_wins_over_convention():
    no_bias = sum(torch_parameters(GRU, 5, 7, 2, bias=False).values())
    assert GRU(5, 7, 2, bias=False).count("pytorch") == no_bias
    assert GRU(5, 7, 2, bias=True).count("paper") == no_bias + 2 * 3 * 7


def test_keras_lstm_has_one_bias_per_gate_set():
    # Keras documents an LSTM of `units` on `input_dim` features as
    # 4 * (units * (input_dim + units) + units) parameters.
    assert LSTM(d, n).count("keras") == sympy.expand(4 * (n * (d + n) + n))


def test_keras_gru_counts_reset_after_bias():
    # Keras' default GRU (reset_after=True) has a bias of shape (2, 3 * units).
    assert GRU(d, n).count("keras") == sympy.expand(3 * (n * (d + n)) + 6 * n)


def test_lstm_first_layer_uses_input_size():
    tensors = {t.name: t.shape for t in LSTM(d, n, L).tensors()}
    assert tensors["weight_ih_l0"] == (4 * n, d)
    assert tensors["weight_ih_l{k}"] == (4 * n, n)


def test_symbolic_depth_stays_one_term():
    deeper = [t for t in LSTM(d, n, L).tensors() if t.index is not None]
    assert {t.copies for t in deeper} == {L - 1}
    assert LSTM(d, n, L).count() == sympy.expand(4 * n * (d + n) + 8 * n**2 * (L - 1))


def test_proj_size_must_be_smaller_than_hidden_size():
    with pytest.raises(InputError, match="proj_size=10 must be smaller"):
        LSTM(5, 10, proj_size=10)


@pytest.mark.parametrize("bad", [0, -3])
def test_sizes_must_be_positive(bad):
    with pytest.raises(InputError, match="hidden_size"):
        LSTM(5, bad)


def test_strings_are_refused_not_evaluated():
    with pytest.raises(TypeError, match="expected an int or a SymPy expression"):
        LSTM(5, "__import__('os')")
