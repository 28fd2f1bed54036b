"""Tests reconcile: ranked single changes that make a failing claim hold."""

from __future__ import annotations

import pytest
import torch

from symcount.derivation import catalogue_dir, load_derivation
from symcount.errors import InputError
from symcount.evaluate import evaluate
from symcount.reconcile import reconcile
from symcount.verify import verify


@pytest.fixture
def misprinted(tmp_path):
    """seq2seq claiming 385M, with the source vocabulary given as approximate."""
    text = (catalogue_dir() / "seq2seq.toml").read_text()
    text = text.replace('"384M"', '"385M"').replace(
        "value = 160000 }", "value = 160000, approximate = true }"
    )
    path = tmp_path / "misprinted.toml"
    path.write_text(text)
    return load_derivation(path)


def torch_total(width: int) -> int:
    with torch.device("meta"):
        modules = [
            torch.nn.Embedding(160_000, width),
            torch.nn.LSTM(width, 1000, 4, bias=False),
            torch.nn.Embedding(80_000, width),
            torch.nn.LSTM(width, 1000, 4, bias=False),
            torch.nn.Linear(1000, 80_000, bias=False),
        ]
    return sum(p.numel() for m in modules for p in m.parameters())


def test_approximate_value_ranks_first(misprinted):
    [answer] = reconcile(evaluate(misprinted))
    assert answer.check.claim.name == "total" and not answer.check.holds
    first = answer.candidates[0]
    # 1000 * V_src + 224M rounds to 385M from V_src = 160,500 to 161,499.
    assert first.change == "V_src: 160000 -> 160500 (+0.3%)"
    assert first.values == ((160_500, 161_499),)


def test_symbol_candidate_matches_torch(misprinted):
    [answer] = reconcile(evaluate(misprinted))
    [width] = [c for c in answer.candidates if c.change.startswith("d:")]
    assert width.change == "d: 1000 -> 1003 (+0.3%)"
    assert width.derived == torch_total(1003)
    assert round(torch_total(1002), -6) == 384_000_000


def test_holding_claims_are_skipped(seq2seq):
    assert reconcile(evaluate(seq2seq)) == ()


def test_convention_switch_is_a_candidate(seq2seq):
    [answer] = reconcile(evaluate(seq2seq), "recurrent")
    kinds = [c.change for c in answer.candidates if c.kind == "convention"]
    assert kinds == [
        "count under the keras convention",
        "count under the pytorch convention",
    ]


def test_unknown_claim(seq2seq):
    with pytest.raises(InputError, match="no claim 'x'; claims: total, recurrent"):
        reconcile(evaluate(seq2seq), "x")


def test_cli(cli, misprinted):
    status, out, _ = cli("reconcile", str(misprinted.path))
    assert status == 0
    assert "1  V_src: 160000 -> 160500 (+0.3%)" in out


class TestCatalogue:
    def test_transformer_base_vocabulary_is_the_top_candidate(self):
        # Vaswani et al. (2017) print 65M for the base model and give the
        # vocabulary only as "about 37000 tokens".
        derivation = load_derivation("transformer-base")
        [answer] = reconcile(evaluate(derivation))
        top = answer.candidates[0]
        assert top.change == "n_vocab: 37000 -> 39769 (+7.5%)"
        assert top.values == ((39_769, 41_721),)
        n_vocab = derivation.symbol_table["n_vocab"]
        built = verify(derivation, {n_vocab: 39_769}).implementations[0].total.built
        assert top.derived == built

    def test_widths_that_heads_do_not_divide_are_not_candidates(self):
        # d_model from 521 to 527 would give 65M, but 8 heads divide none.
        [answer] = reconcile(evaluate(load_derivation("transformer-base")))
        assert not any(c.change.startswith("d_model") for c in answer.candidates)


def test_cli_gpt2_vocabulary_interval(cli):
    # Radford et al. (2019) print 117M; GPT-1's vocabulary of 40,478 gives it.
    status, document, _ = cli(
        "solve",
        "gpt2-small",
        "--target",
        "117M",
        "--for",
        "n_vocab",
        "--json",
        as_json=True,
    )
    assert status == 0
    [[low, high]] = document["ranges"]
    assert low <= 40_478 <= high
    assert (low, high) == (39_919, 41_220)
