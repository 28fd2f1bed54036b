"""Tests ``derive --hf-config``: each family's count against HuggingFace's own model."""

from __future__ import annotations

import json

import pytest
import torch
import transformers
from hf_configs import SMALL, STANDARD, hf_count

from symcount import count_parameters
from symcount.derivation import load_derivation
from symcount.errors import DerivationError, UnsupportedLayerError
from symcount.evaluate import evaluate
from symcount.hf_config import FAMILIES, hf_config_derivation, load_hf_config
from symcount.render import render_report
from symcount.verify import verify


def derive(cli, tmp_path, config: dict, *options: str) -> dict:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    status, document, _ = cli(
        "derive", "--hf-config", str(path), "--json", *options, as_json=True
    )
    assert status == 0
    return document


class TestEachFamily:
    def test_every_family_is_covered(self):
        assert {c["model_type"] for c in SMALL.values()} == set(FAMILIES)
        assert {c["model_type"] for c in STANDARD.values()} == set(FAMILIES)

    @pytest.mark.parametrize("name", SMALL)
    def test_small_configs_derive_huggingfaces_count(self, name, cli, tmp_path):
        cls, built = hf_count(SMALL[name])
        document = derive(cli, tmp_path, SMALL[name])
        assert document["title"].startswith(cls)
        assert document["total"]["value"] == built

    @pytest.mark.parametrize("name", STANDARD)
    def test_published_sizes_derive_huggingfaces_count(
        self, name, cli, tmp_path
    ):
        _, built = hf_count(STANDARD[name])
        assert derive(cli, tmp_path, STANDARD[name])["total"]["value"] == built

    @pytest.mark.parametrize(
        "name",
        [
            "gpt2",
            "t5-gated-deep-decoder",
            "bert-mlm-untied",
            "mixtral",
            "opt-projected-post-norm",
            "qwen2",
        ],
    )
    def test_verify_builds_the_same_class_and_agrees_part_by_part(
        self, name, tmp_path
    ):
        path = tmp_path / "config.json"
        path.write_text(json.dumps(SMALL[name]))
        result = verify(load_hf_config(path))
        hf = result.implementations[1]
        assert hf.source == f"transformers.{hf_count(SMALL[name])[0]}"
        assert hf.parts and all(p.agrees for p in hf.parts)
        assert result.agrees

    def test_absent_keys_take_transformers_defaults(self, cli, tmp_path):
        for model_type in FAMILIES:
            _, built = hf_count({"model_type": model_type})
            assert (
                derive(cli, tmp_path, {"model_type": model_type})["total"][
                    "value"
                ]
                == built
            ), model_type


class TestMixtureOfExperts:
    def test_total_and_active_are_both_reported(self, cli, tmp_path):
        config = SMALL["mixtral"]
        cls, built = hf_count(config)
        with torch.device("meta"):
            model = transformers.MixtralForCausalLM(
                transformers.MixtralConfig(
                    **{k: v for k, v in config.items() if k != "model_type"}
                )
            )
        experts = model.model.layers[0].mlp.experts
        per_expert = sum(p.numel() for p in experts.parameters()) // 4
        document = derive(cli, tmp_path, config)
        assert document["total"]["value"] == built
        assert document["active"]["value"] == built - 2 * (4 - 2) * per_expert

    def test_mixtral_8x7b_is_the_papers_47b_with_13b_active(
        self, cli, tmp_path
    ):
        # Jiang et al. (2024): "47B parameters, but only uses 13B active".
        path = tmp_path / "config.json"
        path.write_text(json.dumps(STANDARD["mixtral-8x7b"]))
        status, out, _ = cli("derive", "--hf-config", str(path))
        assert status == 0
        total = next(
            line for line in out.splitlines() if line.startswith("  = ")
        )
        active = next(
            line
            for line in out.splitlines()
            if line.startswith("active per token:")
        )
        total_value = int(total.split("=")[1].replace(",", ""))
        active_value = int(active.rsplit("=", 1)[1].replace(",", ""))
        assert (
            round(total_value / 1e9) == 47 and round(active_value / 1e9) == 13
        )
        assert total_value == hf_count(STANDARD["mixtral-8x7b"])[1]


class TestCatalogueFormulas:
    @pytest.mark.parametrize(
        "entry, config",
        [
            ("gpt2-small", dict(model_type="gpt2")),
            ("bert-base", dict(model_type="bert", architectures=["BertModel"])),
            ("llama-7b", dict(model_type="llama", intermediate_size=11008)),
        ],
    )
    def test_a_catalogued_family_has_the_catalogues_nodes_and_formula(
        self, entry, config
    ):
        paper = load_derivation(entry)
        ours = hf_config_derivation(config)
        assert list(ours.network.G.nodes) == list(paper.network.G.nodes)
        assert (
            count_parameters(ours.network, "pytorch").total
            == count_parameters(paper.network, "pytorch").total
        )
        assert evaluate(ours).numbers.value() == evaluate(paper).numbers.value()


class TestBadFiles:
    @pytest.mark.parametrize(
        "config, message",
        [
            (
                {"model_type": "falcon"},
                "'falcon' is not supported; supported: gpt2, "
                "bert, roberta, t5, llama, mistral, mixtral, "
                "qwen2, opt, gpt_neox",
            ),
            (
                {"n_layer": 2},
                "model_type: expected text, got nothing; supported: gpt2",
            ),
            (
                {"model_type": "gpt2", "n_embd": "768"},
                'n_embd: expected a positive whole number, got "768"',
            ),
            (
                {"model_type": "gpt2", "n_embd": 768.0},
                "n_embd: expected a positive whole number, got 768.0",
            ),
            (
                {"model_type": "gpt2", "n_layer": True},
                "n_layer: expected a positive whole",
            ),
            (
                {"model_type": "llama", "num_hidden_layers": -2},
                "num_hidden_layers: expected a positive whole number, got -2",
            ),
            (
                {"model_type": "llama", "tie_word_embeddings": "yes"},
                'tie_word_embeddings: expected true or false, got "yes"',
            ),
            (
                {"model_type": "gpt2", "n_head": 5},
                "n_head: 5 does not divide n_embd=768",
            ),
            (
                {
                    "model_type": "mistral",
                    "num_attention_heads": 4,
                    "hidden_size": 64,
                },
                "num_key_value_heads: 8 (transformers' default) does not divide "
                "num_attention_heads=4",
            ),
            (
                {"model_type": "t5", "feed_forward_proj": "gated-gelu-x"},
                "feed_forward_proj: 'gated-gelu-x' is not accepted",
            ),
            (
                {"model_type": "gpt2", "architectures": "GPT2Model"},
                "architectures: expected a list of class names",
            ),
        ],
    )
    def test_a_bad_value_is_one_line_naming_the_key(
        self, config, message, cli, tmp_path
    ):
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        status, out, err = cli("derive", "--hf-config", str(path))
        assert status == 2 and not out
        assert err.startswith(f"symcount: error: {path}: ")
        assert message in err and len(err.splitlines()) == 1

    @pytest.mark.parametrize(
        "text, message",
        [
            ("[1, 2]", "expected a JSON object, got list"),
            ('{"model_type": "gpt2",', "not valid JSON"),
            ("[" * 100_000, "not valid JSON"),
        ],
    )
    def test_a_file_that_is_not_a_json_object_is_refused(
        self, text, message, tmp_path
    ):
        path = tmp_path / "config.json"
        path.write_text(text)
        with pytest.raises(DerivationError, match=message):
            load_hf_config(path)

    def test_a_class_without_a_template_is_not_yet_supported(
        self, cli, tmp_path
    ):
        config = dict(
            model_type="bert", architectures=["BertForSequenceClassification"]
        )
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        with pytest.raises(
            UnsupportedLayerError,
            match="choose one of BertModel, BertForMaskedLM",
        ):
            load_hf_config(path)
        status, document, _ = cli(
            "derive",
            "--hf-config",
            str(path),
            "--hf-class",
            "BertModel",
            "--json",
            as_json=True,
        )
        assert (
            status == 0
            and document["total"]["value"]
            == hf_count(dict(model_type="bert", architectures=["BertModel"]))[1]
        )

    def test_cross_attention_blocks_are_not_yet_supported(self, tmp_path):
        path = tmp_path / "config.json"
        path.write_text(
            json.dumps({"model_type": "gpt2", "add_cross_attention": True})
        )
        with pytest.raises(
            UnsupportedLayerError,
            match="add_cross_attention=true "
            r"\(cross-attention blocks\)",
        ):
            load_hf_config(path)

    def test_a_name_and_a_config_together_are_refused(self, cli, tmp_path):
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"model_type": "gpt2"}))
        status, _, err = cli("derive", "seq2seq", "--hf-config", str(path))
        assert status == 2 and "not both" in err
        status, _, err = cli("derive", "seq2seq", "--hf-class", "GPT2Model")
        assert status == 2 and "--hf-class goes with --hf-config" in err


def test_solve_and_report_take_a_config_too(cli, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(STANDARD["llama-2-7b"]))
    status, out, _ = cli(
        "solve",
        "--hf-config",
        str(path),
        "--target",
        "6.7B",
        "--for",
        "n_layer",
    )
    assert status == 0 and "n_layer = 32" in out
    status, out, _ = cli(
        "report", "--hf-config", str(path), "-o", str(tmp_path / "out")
    )
    assert status == 0
    tex = (
        tmp_path / "out" / f"{tmp_path.name}.tex"
    )  # named after the config's folder
    assert out.startswith(f"wrote {tex}\n")
    assert "LlamaForCausalLM from config.json" in tex.read_text()


@pytest.mark.parametrize("name", SMALL)
def test_every_config_renders_a_report(name):
    # Grouped-query attention with fewer key heads divides by n_head; the
    # report's algebra must still find the highest-degree terms.
    result = evaluate(hf_config_derivation(SMALL[name]))
    latex = render_report(result)
    assert f"{hf_count(SMALL[name])[1]:,}".replace(",", "{,}") in latex
