"""Tests the catalogue against HuggingFace, torch.nn and the papers' own numbers."""

from __future__ import annotations

import pytest
import torch
import transformers

from symcount.derivation import catalogue, load_derivation
from symcount.symbols import resolve_values

nn = torch.nn

PAPERS = [
    "rnnsearch", "transformer-base", "transformer-big", "bert-base", "bert-large",
    "gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3-small",
    "gpt3-medium", "gpt3-large", "gpt3-xl", "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b",
    "gpt3-175b", "llama-7b", "llama-13b", "llama-33b", "llama-65b", "alexnet",
    "vgg16", "resnet50",
]


def hf_count(cls, config) -> int:
    with torch.device("meta"):
        model = cls(config)
    return sum(p.numel() for p in model.parameters())


def torch_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def derived(cli, name: str, *sets: str) -> int:
    options = [f"--set={s}" for s in sets]
    status, document, _ = cli("derive", name, "--convention", "pytorch", "--json",
                              *options, as_json=True)
    assert status == 0
    return document["total"]["value"]


def test_catalogue_has_every_paper():
    assert set(PAPERS) <= set(catalogue())


@pytest.mark.parametrize("name", PAPERS)
def test_every_entry_cites_its_source(name):
    derivation = load_derivation(name)
    assert derivation.citation["year"] and derivation.citation.get("url")
    assert all(info.value is not None for info in derivation.symbols)


def test_check_passes_and_every_gap_is_annotated(cli):
    status, document, _ = cli("check", "--json", as_json=True)
    assert status == 0
    assert {row["status"] for row in document} <= {"holds", "differs"}
    assert all(row["note"] for row in document if not row["holds"])


class TestDoneWhen:
    """The counts a new user compares, each from an implementation nobody here wrote."""

    def test_gpt2_small_is_hf_gpt2_with_tied_output(self, cli):
        expected = hf_count(transformers.GPT2LMHeadModel, transformers.GPT2Config())
        assert derived(cli, "gpt2-small") == expected == 124_439_808

    @pytest.mark.parametrize(
        "name,config",
        [("bert-base", {}),
         ("bert-large", {"hidden_size": 1024, "num_hidden_layers": 24,
                         "num_attention_heads": 16, "intermediate_size": 4096})],
    )
    def test_bert_is_hf_bert_model_with_pooler(self, cli, name, config):
        expected = hf_count(transformers.BertModel, transformers.BertConfig(**config))
        assert derived(cli, name) == expected

    def test_llama_7b_is_hf_llama_for_causal_lm(self, cli):
        # LlamaConfig's defaults are LLaMA-7B's sizes.
        expected = hf_count(transformers.LlamaForCausalLM, transformers.LlamaConfig())
        assert derived(cli, "llama-7b") == expected == 6_738_415_616

    def test_alexnet_one_gpu_variant_is_torchvisions(self, cli):
        # torchvision's AlexNet, from torch.nn parts; torchvision publishes
        # num_params 61,100,840 for it.
        module = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.Conv2d(64, 192, 5, padding=2),
            nn.Conv2d(192, 384, 3, padding=1), nn.Conv2d(384, 256, 3, padding=1),
            nn.Conv2d(256, 256, 3, padding=1), nn.AdaptiveAvgPool2d((6, 6)),
            nn.Flatten(), nn.Linear(256 * 6 * 6, 4096), nn.Linear(4096, 4096),
            nn.Linear(4096, 1000)).to("meta")
        variant = ("c1=64", "c2=192", "c4=256", "g=1")
        assert derived(cli, "alexnet", *variant) == torch_count(module) == 61_100_840

    def test_alexnet_two_gpu_network_is_torch_with_groups(self, cli):
        module = nn.Sequential(
            nn.Conv2d(3, 96, 11, 4), nn.Conv2d(96, 256, 5, groups=2),
            nn.Conv2d(256, 384, 3), nn.Conv2d(384, 384, 3, groups=2),
            nn.Conv2d(384, 256, 3, groups=2), nn.Linear(256 * 6 * 6, 4096),
            nn.Linear(4096, 4096), nn.Linear(4096, 1000)).to("meta")
        assert derived(cli, "alexnet") == torch_count(module)

    def test_vgg16_is_torchvisions(self, cli):
        layers, channels = [], 3
        for width in [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]:
            layers.append(nn.Conv2d(channels, width, 3, padding=1))
            channels = width
        layers += [nn.Linear(512 * 7 * 7, 4096), nn.Linear(4096, 4096),
                   nn.Linear(4096, 1000)]
        module = nn.Sequential(*layers).to("meta")
        assert derived(cli, "vgg16") == torch_count(module) == 138_357_544

    def test_resnet50_is_hf_resnet_and_torchvisions_count(self, cli):
        # ResNetConfig's defaults are ResNet-50's; torchvision publishes 25,557,032.
        config = transformers.ResNetConfig(num_labels=1000)
        expected = hf_count(transformers.ResNetForImageClassification, config)
        assert derived(cli, "resnet50") == expected == 25_557_032


@pytest.mark.parametrize(
    "name,printed",
    [("gpt2-small", 117), ("gpt2-medium", 345), ("gpt2-large", 762),
     ("gpt2-xl", 1542)],
)
def test_gpt2_table_counts_gpt1_vocabulary(cli, name, printed):
    # Radford et al. (2019), Table 2, in millions; GPT-1's vocabulary is 40,478.
    assert round(derived(cli, name, "n_vocab=40478") / 1e6) == printed


@pytest.mark.parametrize("name", ["gpt2-xl", "gpt3-small", "bert-base", "llama-7b",
                                  "transformer-base"])
def test_kaplan_symbols_work_across_the_family(cli, name):
    assert derived(cli, name, "n_vocab=40478") != derived(cli, name)


@pytest.mark.parametrize(
    "name,released",
    [("llama-7b", 11008), ("llama-13b", 13824), ("llama-33b", 17920),
     ("llama-65b", 22016)],
)
def test_llama_feed_forward_size_is_the_released_one(name, released):
    # The sizes of the released checkpoints' feed-forward weights.
    derivation = load_derivation(name)
    d_ff = derivation.symbol_table["d_ff"]
    assert resolve_values(derivation.values)[d_ff] == released


def test_resnet50_buffers_are_hf_running_statistics(cli):
    with torch.device("meta"):
        model = transformers.ResNetForImageClassification(
            transformers.ResNetConfig(num_labels=1000))
    status, document, _ = cli("derive", "resnet50", "--json", as_json=True)
    assert document["buffers"]["value"] == sum(b.numel() for b in model.buffers())
