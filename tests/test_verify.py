"""Tests ``symcount verify``: every catalogue entry against torch.nn and HuggingFace."""

from __future__ import annotations

import pytest

from symcount.derivation import catalogue, load_derivation
from symcount.verify import verify

HF = {"gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3-small",
      "gpt3-medium", "gpt3-large", "gpt3-2.7b", "gpt3-6.7b", "gpt3-175b",
      "bert-base", "bert-large", "llama-7b", "llama-13b", "llama-33b", "llama-65b",
      "resnet50"}


@pytest.mark.parametrize("name", catalogue())
def test_every_entry_agrees_with_its_implementations(name):
    result = verify(load_derivation(name))
    sources = [i.source for i in result.implementations]
    assert sources[0] == "torch.nn"
    assert (len(sources) == 2) == (name in HF)
    for implementation in result.implementations:
        assert implementation.total.derived == implementation.total.built
        for part in implementation.parts:
            assert part.derived == part.built, (implementation.source, part)
    assert result.agrees


def test_hf_parts_cover_the_whole_model():
    result = verify(load_derivation("llama-7b"))
    hf = result.implementations[1]
    assert sum(p.built for p in hf.parts) == hf.total.built == 6_738_415_616


def test_cli_verify_reports_agreement(cli):
    status, out, _ = cli("verify", "gpt2-small")
    assert status == 0
    rows = [line.split() for line in out.splitlines()]
    assert ["transformers.GPT2LMHeadModel", "total", "124,439,808", "124,439,808",
            "agrees"] in rows
    assert out.rstrip().endswith("every count agrees")


def test_cli_verify_json_with_overrides(cli):
    status, document, _ = cli("verify", "bert-base", "--set", "n_layer=2", "--json",
                              as_json=True)
    assert status == 0 and document["agrees"]
    assert document["implementations"][1]["total"]["built"] < 109_482_240


def test_a_wrong_config_is_a_mismatch_and_exits_1(cli, tmp_path):
    text = load_derivation("gpt2-small").path.read_text()
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('n_layer = "n_layer"', 'n_layer = "n_layer - 1"'))
    status, out, _ = cli("verify", str(wrong))
    assert status == 1
    assert "DIFFERS (-7,087,872)" in out
    assert "count(s) differ" in out


def test_an_unknown_class_is_refused(cli, tmp_path):
    text = load_derivation("gpt2-small").path.read_text()
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('"GPT2LMHeadModel"', '"NoSuchModel"'))
    status, _, err = cli("verify", str(wrong))
    assert status == 2
    assert "'NoSuchModel' is not a HuggingFace model class" in err


def test_batch_norm_buffers_are_verified(cli):
    status, out, _ = cli("verify", "resnet50")
    assert status == 0
    row = next(line for line in out.splitlines() if " buffers " in line)
    assert row.split()[:5] == ["torch.nn", "buffers", "53,173", "53,173", "agrees"]
