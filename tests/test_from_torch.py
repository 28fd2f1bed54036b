"""Tests from_torch: module -> network -> count equals torch's own numel() sum."""

from __future__ import annotations

import sys
import warnings

import pytest
import sympy
import torch
from hf_configs import hf_model
from torch import nn

from symcount import count_parameters
from symcount.derivation import load_derivation
from symcount.errors import InputError, SymcountError
from symcount.symbols import dimension
from symcount.torch_import import OpaqueModuleWarning, call_factory, from_torch


def numel(module: nn.Module) -> int:
    """torch's count: every parameter object once."""
    return sum(p.numel() for p in module.parameters())


def counted(network, convention="pytorch") -> int:
    return count_parameters(network, convention).subs(network.values).value()


def kinds(network) -> list[str]:
    return [network.G.nodes[v]["layer"].kind for v in network.G.nodes]


def imported(module: nn.Module, **options):
    """from_torch, failing the test on an opaque-module warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", OpaqueModuleWarning)
        return from_torch(module, **options)


# torch.nn's layers, each with the kind it must become.
TORCH_LAYERS = {
    "linear": (lambda: nn.Linear(30, 20), "Linear"),
    "linear-no-bias": (lambda: nn.Linear(30, 20, bias=False), "Linear"),
    "embedding": (lambda: nn.Embedding(500, 32, padding_idx=0), "Embedding"),
    "embedding-bag": (lambda: nn.EmbeddingBag(500, 32), "Embedding"),
    "conv1d": (lambda: nn.Conv1d(6, 12, 5, stride=2, groups=3), "Conv1d"),
    "conv2d": (
        lambda: nn.Conv2d(3, 64, (7, 5), padding="same", bias=False),
        "Conv2d",
    ),
    "depthwise": (lambda: nn.Conv2d(32, 32, 3, groups=32), "Conv2d"),
    "conv-transpose": (
        lambda: nn.ConvTranspose2d(
            8, 6, 3, groups=2, output_padding=1, stride=2
        ),
        "ConvTranspose2d",
    ),
    "layer-norm": (lambda: nn.LayerNorm((4, 16)), "LayerNorm"),
    "layer-norm-no-bias": (lambda: nn.LayerNorm(16, bias=False), "LayerNorm"),
    "layer-norm-fixed": (
        lambda: nn.Sequential(
            nn.LayerNorm(16, elementwise_affine=False), nn.Linear(2, 2)
        ),
        "Linear",
    ),
    "rms-norm": (lambda: nn.RMSNorm(64), "RMSNorm"),
    "batch-norm1d": (lambda: nn.BatchNorm1d(40), "BatchNorm1d"),
    "batch-norm2d": (
        lambda: nn.BatchNorm2d(40, track_running_stats=False),
        "BatchNorm2d",
    ),
    "group-norm": (lambda: nn.GroupNorm(4, 32), "GroupNorm"),
    "group-norm-no-bias": (
        lambda: nn.GroupNorm(4, 32, bias=False),
        "GroupNorm",
    ),
    "rnn": (lambda: nn.RNN(10, 20, 3, nonlinearity="relu"), "RNN"),
    "lstm": (lambda: nn.LSTM(10, 20, 2, bidirectional=True), "LSTM"),
    "lstm-proj": (lambda: nn.LSTM(10, 20, 3, proj_size=7), "LSTM"),
    "lstm-no-bias": (lambda: nn.LSTM(10, 20, bias=False), "LSTM"),
    "gru": (lambda: nn.GRU(10, 20, 2, batch_first=True), "GRU"),
    "attention": (lambda: nn.MultiheadAttention(64, 8), "MultiheadAttention"),
    "attention-kv": (
        lambda: nn.MultiheadAttention(
            64, 8, kdim=20, vdim=30, add_bias_kv=True
        ),
        "MultiheadAttention",
    ),
    "attention-no-bias": (
        lambda: nn.MultiheadAttention(64, 4, bias=False),
        "MultiheadAttention",
    ),
    "encoder-layer": (
        lambda: nn.TransformerEncoderLayer(64, 4, 256),
        "TransformerEncoderLayer",
    ),
    "encoder-layer-pre": (
        lambda: nn.TransformerEncoderLayer(
            64, 4, 256, norm_first=True, bias=False
        ),
        "TransformerEncoderLayer",
    ),
    "decoder-layer": (
        lambda: nn.TransformerDecoderLayer(64, 4, 128),
        "TransformerDecoderLayer",
    ),
}


class TestTorchLayers:
    @pytest.mark.parametrize("name", TORCH_LAYERS)
    def test_each_layer_counts_as_torch_does(self, name):
        build, kind = TORCH_LAYERS[name]
        with torch.device("meta"):
            module = build()
        network = imported(module)
        assert kind in kinds(network)
        assert counted(network) == numel(module)

    @pytest.mark.parametrize(
        "name",
        [
            n
            for n in TORCH_LAYERS
            if n not in {"rnn", "lstm", "lstm-proj", "gru"}
        ],
    )
    def test_explicit_biases_make_every_convention_the_modules(self, name):
        with torch.device("meta"):
            module = TORCH_LAYERS[name][0]()
        network = imported(module)
        assert {counted(network, c) for c in ("paper", "keras", "pytorch")} == {
            numel(module)
        }

    def test_batch_norm_buffers_are_reported_apart(self):
        module = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        count = count_parameters(imported(module), "pytorch")
        assert count.value() == numel(module)
        assert count.buffers == sum(b.numel() for b in module.buffers())

    def test_a_whole_transformer_is_blocks_and_norms(self):
        with torch.device("meta"):
            module = nn.Transformer(
                64,
                4,
                num_encoder_layers=3,
                num_decoder_layers=2,
                dim_feedforward=128,
                batch_first=True,
            )
        network = imported(module)
        assert counted(network) == numel(module)
        assert sorted((b.name, int(b.times)) for b in network.blocks) == [
            ("decoder_layers", 2),
            ("encoder_layers", 3),
        ]


class TestUnknownModules:
    def test_opaque_nodes_keep_every_parameter_and_are_reported(self):
        class Gate(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = nn.Parameter(torch.ones(()))
                self.mix = nn.Parameter(torch.zeros(3, 4))
                self.proj = nn.Linear(4, 4)

        model = nn.Sequential(
            nn.Bilinear(5, 7, 3),
            nn.Conv3d(2, 4, 3),
            Gate(),
            nn.PReLU(6),
            nn.Linear(3, 3),
        )
        with pytest.warns(OpaqueModuleWarning, match="4 module") as caught:
            network = from_torch(model)
        assert caught[0].filename == __file__
        assert [cls for _, cls in network.opaque] == [
            "Bilinear",
            "Conv3d",
            "Gate",
            "PReLU",
        ]
        assert kinds(network).count("Linear") == 2
        count = count_parameters(network, "pytorch")
        assert count.value() == numel(model)
        assert count.tags["opaque"] == numel(model) - 20 - 12
        gate = network.layer(network.opaque[2][0])
        assert gate.names == ("scale", "mix") and gate.count() == 13

    def test_a_subclass_with_extra_parameters_is_not_taken_for_its_base(self):
        class ScaledLinear(nn.Linear):
            def __init__(self):
                super().__init__(4, 5)
                self.gain = nn.Parameter(torch.ones(5))

        with pytest.warns(OpaqueModuleWarning):
            network = from_torch(nn.Sequential(ScaledLinear()))
        assert kinds(network) == ["Opaque"]
        assert counted(network) == 30

    def test_a_lazy_module_must_run_first(self):
        with pytest.raises(InputError, match="not yet initialised"):
            from_torch(nn.LazyLinear(3))


class TestTies:
    def test_a_shared_weight_is_counted_once(self):
        class Tied(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(100, 16)
                self.out = nn.Linear(16, 100)
                self.out.weight = self.embed.weight

        model = Tied()
        network = imported(model)
        assert [(t.alias, t.owner) for t in network.ties] == [
            ("out.weight", "embed.weight")
        ]
        assert counted(network) == numel(model) == 1700

    def test_a_module_used_twice_is_one_set_of_parameters(self):
        shared = nn.Linear(8, 8)
        model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(8, 2))
        network = imported(model)
        assert len(network.ties) == 2 and not network.blocks
        assert counted(network) == numel(model) == 90


class TestRepeats:
    def test_identical_children_become_one_repeated_node(self):
        with torch.device("meta"):
            model = nn.ModuleList(
                nn.TransformerEncoderLayer(32, 4, 64) for _ in range(6)
            )
        network = imported(model, symbolize={"Repeat.times": "n_layer"})
        assert len(network) == 1
        assert network.blocks[0].times == dimension("n_layer")
        assert counted(network) == numel(model)

    def test_runs_of_equal_children_repeat_and_the_rest_stay(self):
        model = nn.Sequential(
            nn.Linear(4, 4),
            nn.Linear(4, 4),
            nn.Linear(4, 8),
            nn.Linear(8, 8),
            nn.Linear(8, 8),
            nn.Linear(8, 8),
        )
        network = imported(model)
        assert list(network.G.nodes) == ["0_1", "2", "3_5"]
        assert [int(b.times) for b in network.blocks] == [2, 3]
        assert counted(network) == numel(model)

    def test_blocks_inside_blocks_multiply(self):
        class Experts(nn.Module):  # no router, so not a mixture of experts
            def __init__(self):
                super().__init__()
                self.norm = nn.LayerNorm(6)
                self.experts = nn.ModuleList(nn.Linear(6, 6) for _ in range(4))

        model = nn.ModuleList(Experts() for _ in range(3))
        network = imported(model)
        assert {b.nodes: int(b.times) for b in network.blocks} == {
            ("norm",): 3,
            ("experts",): 12,
        }
        assert counted(network) == numel(model)


def seq2seq() -> nn.Module:
    """Sutskever et al.'s model in torch.nn: the sizes of section 3.4."""

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_src = nn.Embedding(160_000, 1000)
            self.encoder = nn.LSTM(1000, 1000, 4)
            self.embed_tgt = nn.Embedding(80_000, 1000)
            self.decoder = nn.LSTM(1000, 1000, 4)
            self.softmax = nn.Linear(1000, 80_000)

    with torch.device("meta"):
        return Seq2Seq()


SEQ2SEQ_NAMES = {
    160_000: "V_src",
    80_000: "V_tgt",
    1000: "d",
    4: "L",
    "LSTM.hidden_size": "n",
    "Linear.in_features": "n",
}


class TestSeq2seq:
    def test_the_torch_model_has_384144000_parameters(self):
        model = seq2seq()
        assert numel(model) == 384_144_000
        assert counted(imported(model)) == 384_144_000

    def test_symbolized_it_is_the_catalogues_closed_form(self):
        network = imported(seq2seq(), symbolize=SEQ2SEQ_NAMES)
        ours = count_parameters(network, "pytorch")
        paper = count_parameters(load_derivation("seq2seq").network, "pytorch")
        assert ours.total == paper.total
        assert ours.closed_form == paper.closed_form
        assert {str(s): int(v) for s, v in network.values.items()} == {
            "V_src": 160_000,
            "V_tgt": 80_000,
            "d": 1000,
            "n": 1000,
            "L": 4,
        }
        assert ours.subs(network.values).value() == 384_144_000

    def test_a_number_alone_cannot_tell_d_from_n(self):
        network = imported(
            seq2seq(),
            symbolize={1000: "d", 4: "L", 160_000: "V_src", 80_000: "V_tgt"},
        )
        total = count_parameters(network, "pytorch").total
        assert dimension("n") not in total.free_symbols
        assert (
            total.subs(
                {
                    dimension("d"): 1000,
                    dimension("L"): 4,
                    dimension("V_src"): 160_000,
                    dimension("V_tgt"): 80_000,
                }
            )
            == 384_144_000
        )


class TestSymbolize:
    def test_expressions_name_sizes_in_terms_of_others(self):
        model = nn.Sequential(nn.Linear(768, 3072), nn.Linear(3072, 768))
        network = imported(model, symbolize={768: "d_model", 3072: "4*d_model"})
        d_model = dimension("d_model")
        assert count_parameters(network, "pytorch").total == sympy.expand(
            8 * d_model**2 + 5 * d_model
        )

    def test_auto_names_every_size_that_repeats(self):
        network = imported(seq2seq(), symbolize="auto")
        names = {str(s): int(v) for s, v in network.values.items()}
        # 160000 fills one place only, so it stays a number.
        assert names == {
            "embedding_dim": 1000,
            "num_layers": 4,
            "num_embeddings": 80_000,
        }
        assert counted(network) == 384_144_000

    @pytest.mark.parametrize(
        "rules, message",
        [
            ({"Lstm.hidden_size": "n"}, "unknown layer kind 'Lstm'"),
            ({"LSTM.hidden": "n"}, "LSTM has no size 'hidden'"),
            ({1000: "d", 4: "d"}, "would stand for 4 here and for 1000"),
            ({1000: "d", 160_000: "2*d"}, "2000 at node 'embed_src'"),
            ({160_000: "3*q"}, "unknown symbol 'q'"),
            ({0: "z"}, "positive integers"),
            ({1000: 7}, "expected a symbol name or an expression"),
            ({1000: "__import__('os')"}, "not allowed"),
        ],
    )
    def test_bad_rules_are_refused_naming_the_entry(self, rules, message):
        with pytest.raises(InputError, match=message):
            from_torch(seq2seq(), symbolize=rules)

    def test_a_non_module_is_refused(self):
        with pytest.raises(InputError, match="expected a torch.nn.Module"):
            from_torch({"weight": torch.zeros(3)})


# HuggingFace models on the meta device: small configs of each family.
HF_MODELS = {
    "gpt2": (
        "GPT2LMHeadModel",
        dict(n_layer=3, n_embd=64, n_head=4, vocab_size=100, n_positions=32),
    ),
    "bert": (
        "BertForMaskedLM",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            intermediate_size=128,
            vocab_size=100,
            max_position_embeddings=32,
        ),
    ),
    "roberta": (
        "RobertaModel",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            intermediate_size=128,
            vocab_size=100,
            max_position_embeddings=34,
        ),
    ),
    "t5": (
        "T5ForConditionalGeneration",
        dict(
            num_layers=4,
            num_decoder_layers=3,
            d_model=64,
            d_kv=16,
            d_ff=128,
            num_heads=4,
            vocab_size=100,
            feed_forward_proj="gated-gelu",
        ),
    ),
    "llama": (
        "LlamaForCausalLM",
        dict(
            num_hidden_layers=3,
            hidden_size=64,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=128,
            vocab_size=100,
        ),
    ),
    "mistral": (
        "MistralForCausalLM",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            head_dim=32,
            num_key_value_heads=1,
            intermediate_size=96,
            vocab_size=100,
        ),
    ),
    "mixtral": (
        "MixtralForCausalLM",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=128,
            vocab_size=100,
            num_local_experts=4,
            num_experts_per_tok=2,
        ),
    ),
    "qwen2": (
        "Qwen2ForCausalLM",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=128,
            vocab_size=100,
            tie_word_embeddings=True,
        ),
    ),
    "opt": (
        "OPTForCausalLM",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            ffn_dim=128,
            vocab_size=100,
            max_position_embeddings=32,
            word_embed_proj_dim=32,
        ),
    ),
    "gpt_neox": (
        "GPTNeoXForCausalLM",
        dict(
            num_hidden_layers=2,
            hidden_size=64,
            num_attention_heads=4,
            intermediate_size=128,
            vocab_size=100,
            max_position_embeddings=32,
        ),
    ),
}


class TestHuggingFaceModels:
    @pytest.mark.parametrize("model_type", HF_MODELS)
    def test_every_family_counts_as_torch_does(self, model_type):
        cls, config = HF_MODELS[model_type]
        model = hf_model(model_type, cls, **config)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            network = from_torch(model)
        assert counted(network) == numel(model)
        opaque = [cls for _, cls in network.opaque]
        # Only the masked-LM head's bare bias vector has no layer kind.
        assert opaque == (
            ["BertLMPredictionHead"] if model_type == "bert" else []
        )
        assert len(caught) == len(opaque)

    def test_llama_blocks_are_attention_and_gated_feed_forward(self):
        cls, config = HF_MODELS["llama"]
        network = imported(hf_model("llama", cls, **config))
        assert kinds(network) == [
            "Embedding",
            "GroupedQueryAttention",
            "GatedFeedForward",
            "RMSNorm",
            "RMSNorm",
            "RMSNorm",
            "Linear",
        ]
        assert [int(b.times) for b in network.blocks] == [3]

    def test_mixtral_experts_are_a_mixture_with_the_routers_top_k(self):
        cls, config = HF_MODELS["mixtral"]
        model = hf_model("mixtral", cls, **config)
        count = count_parameters(imported(model), "pytorch")
        layer = model.model.layers[0].mlp
        per_expert = sum(p.numel() for p in layer.experts.parameters()) // 4
        idle = (
            2 * (4 - 2) * per_expert
        )  # two layers, two experts idle per token
        assert count.value() == numel(model)
        assert count.active == numel(model) - idle

    def test_gpt2_symbolized_is_the_catalogues_formula(self):
        model = hf_model(
            "gpt2",
            "GPT2LMHeadModel",
            n_layer=12,
            n_embd=768,
            n_head=12,
            vocab_size=50257,
            n_positions=1024,
        )
        network = imported(
            model,
            symbolize={
                768: "d_model",
                2304: "3*d_model",
                3072: "d_ff",
                50257: "n_vocab",
                1024: "n_ctx",
                "Repeat.times": "n_layer",
            },
        )
        ours = count_parameters(network, "pytorch").total
        paper = count_parameters(
            load_derivation("gpt2-small").network, "pytorch"
        ).total
        assert ours == paper
        assert counted(network) == numel(model) == 124_439_808


class TestCallFactory:
    def test_imports_from_the_current_folder_and_builds_on_meta(
        self, tmp_path, monkeypatch
    ):
        (tmp_path / "my_models.py").write_text(
            "import torch\n"
            "def build():\n"
            "    return torch.nn.Linear(1000, 1000)\n"
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.delitem(sys.modules, "my_models", raising=False)
        model = call_factory("my_models:build")
        assert model.weight.device.type == "meta"
        assert str(tmp_path) not in sys.path

    @pytest.mark.parametrize(
        "spec, error, message",
        [
            ("my_models", InputError, "expected package.module:factory"),
            ("os.path;rm:x", InputError, "expected package.module:factory"),
            ("no_such_module_xyz:build", InputError, "cannot import"),
            ("torch.nn:NoSuchThing", InputError, "has no 'NoSuchThing'"),
            ("math:pi", InputError, "not callable"),
            (
                "builtins:dict",
                InputError,
                "returned dict, not a torch.nn.Module",
            ),
            ("torch.nn:Linear", SymcountError, r"Linear\(\) raised TypeError"),
        ],
    )
    def test_bad_specs_and_failing_factories_are_reported(
        self, spec, error, message
    ):
        with pytest.raises(error, match=message):
            call_factory(spec)
