"""Tests count_parameters: totals, subtotals, ties, repeats and substitution."""

from __future__ import annotations

import pytest
import sympy
import torch

from symcount import LSTM, Embedding, Linear, Network, count_parameters
from symcount.errors import InputError, ShapeMismatchError
from symcount.symbols import L, V_tgt, d, n


def language_model(tied: bool) -> Network:
    net = Network("lm")
    net.add("embed", Embedding(V_tgt, d), group="input")
    net.add("lstm", LSTM(None, d, L), group="body", tags=["recurrent"])
    net.add("softmax", Linear(None, V_tgt), group="output")
    net.connect("embed", "lstm")
    net.connect("lstm", "softmax")
    if tied:
        net.tie("softmax.weight", "embed.weight")
    return net


class TorchLanguageModel(torch.nn.Module):
    """The same model built in torch.nn, optionally with the output tied."""

    def __init__(self, vocab: int, width: int, layers: int, tied: bool) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, width)
        self.lstm = torch.nn.LSTM(width, width, layers)
        self.softmax = torch.nn.Linear(width, vocab)
        if tied:
            self.softmax.weight = self.embed.weight


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("vocab,width,layers", [(1000, 32, 1), (50, 17, 3)])
def test_network_matches_torch_model(tied, vocab, width, layers):
    with torch.device("meta"):
        model = TorchLanguageModel(vocab, width, layers, tied)
    unique = sum(p.numel() for p in model.parameters())
    count = count_parameters(language_model(tied), "pytorch")
    values = {V_tgt: vocab, d: width, L: layers}
    assert count.subs(values).value() == unique


def test_tied_embedding_counted_once():
    count = count_parameters(language_model(tied=True))
    untied = count_parameters(language_model(tied=False))
    assert untied.total - count.total == V_tgt * d
    assert count.uses == untied.total
    assert count.part("softmax").tied == frozenset({"weight"})


def test_tie_between_different_shapes_is_rejected():
    net = language_model(tied=False)
    net.tie("softmax.weight", "lstm.weight_ih_l0")
    with pytest.raises(ShapeMismatchError, match="shapes"):
        count_parameters(net)


def test_tie_to_missing_tensor_lists_the_tensors():
    net = language_model(tied=False)
    net.tie("softmax.bias", "embed.weight")
    with pytest.raises(InputError, match="no tensor 'bias'; it has weight"):
        count_parameters(net, "paper")


def test_groups_and_tags_sum_their_nodes():
    count = count_parameters(language_model(tied=False))
    assert dict(count.groups) == {
        "input": V_tgt * d,
        "body": sympy.expand(LSTM(d, d, L).count()),
        "output": V_tgt * d,
    }
    assert count.tags["recurrent"] == count.groups["body"]
    assert count.subtotal("node:softmax") == V_tgt * d


def test_repeat_stays_symbolic():
    block = sympy.Symbol("n_layer", integer=True, positive=True)
    net = Network("stack")
    net.add("ff", Linear(d, d))
    net.repeat(["ff"], block, name="blocks")
    count = count_parameters(net, "pytorch")
    assert count.total == sympy.expand(block * (d * d + d))
    with torch.device("meta"):
        stack = torch.nn.Sequential(*[torch.nn.Linear(64, 64) for _ in range(12)])
    assert count.subs({block: 12, d: 64}).value() == sum(
        p.numel() for p in stack.parameters()
    )


def test_value_names_missing_symbols():
    count = count_parameters(language_model(tied=False))
    with pytest.raises(InputError, match="needs values for: L, V_tgt, d"):
        count.value()


def test_unknown_subtotal_lists_the_accepted_ones():
    count = count_parameters(language_model(tied=False))
    with pytest.raises(InputError, match="accepted: total, group:input"):
        count.subtotal("group:nope")


def test_substitution_resolves_symbol_ties():
    count = count_parameters(Linear(n, d))
    assert count.subs({n: d, d: 10}).value() == 100


def test_latex_repr_uses_sympy_printer():
    assert count_parameters(Embedding(V_tgt, d))._repr_latex_() == (
        r"$N_{\mathrm{Embedding}} = V_{tgt} d$"
    )
