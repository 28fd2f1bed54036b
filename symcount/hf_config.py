"""HuggingFace config files: from a model hub's ``config.json`` to a derivation.

A config file names its family (``model_type``) and the sizes of one model.
Each supported family has a template: the network of its HuggingFace model
class, built from symcount's layer kinds over the catalogue's symbols
(``n_vocab``, ``d_model``, ``d_ff``, ``n_layer``, ``n_head``, ...), whose values
are the file's. Where the catalogue has the family (GPT-2, BERT, LLaMA) the
template has the catalogue entry's nodes, so the formula is the same. The
derivation also carries a ``[verify]`` table, so ``symcount verify`` builds the
HuggingFace model from the same values and compares.

Caveats:
    The file is parsed as JSON and never executed; only the keys a template
    reads are checked (sizes are positive whole numbers, flags true or
    false), and each error names the file and the key. A key that is absent
    takes the default of transformers' config class (version 5). Which model
    class is counted: ``model_class`` if given, else the file's first
    ``architectures`` entry, else the family's first class (its causal
    language model, or the bare encoder for BERT and RoBERTa). transformers 5
    ties T5's output layer to the shared embedding whatever
    ``tie_word_embeddings`` says, and the template does the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from symcount.conventions import Convention
from symcount.derivation import Derivation, SymbolInfo
from symcount.errors import DerivationError, UnsupportedLayerError
from symcount.graph import Network
from symcount.layers import (
    Embedding,
    FeedForward,
    GatedFeedForward,
    GroupedQueryAttention,
    Layer,
    LayerNorm,
    Linear,
    MixtureOfExperts,
    MultiheadAttention,
    Opaque,
    PositionalEmbedding,
    RMSNorm,
    RotaryEmbedding,
    TransformerEncoderLayer,
)
from symcount.symbols import dimension

__all__ = ["FAMILIES", "hf_config_derivation", "load_hf_config"]

_MAX_BYTES = 10_000_000


def load_hf_config(
    path: str | Path, *, model_class: str | None = None
) -> Derivation:
    """Reads a HuggingFace ``config.json`` and returns its model as a derivation.

    Args:
        path: The config file.
        model_class: The HuggingFace class to count, e.g. ``"LlamaModel"``;
            ``None`` for the file's ``architectures`` or the family's default.

    Returns:
        A derivation under the ``pytorch`` convention whose symbols hold the
        file's values and whose ``verify`` table names the class.

    Raises:
        DerivationError: If the file is unreadable, not a JSON object, names
            an unknown ``model_type`` (the message lists the supported ones),
            or a key holds a value of the wrong type.
        UnsupportedLayerError: For a class or an option the family's template
            does not cover yet.

    Example:
        >>> import json, tempfile
        >>> from symcount.evaluate import evaluate
        >>> from symcount.hf_config import load_hf_config
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = f"{folder}/config.json"
        ...     with open(path, "w") as file:
        ...         json.dump({"model_type": "gpt2", "n_layer": 12}, file)
        ...     derivation = load_hf_config(path)
        >>> evaluate(derivation).numbers.value()
        124439808
    """
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise DerivationError(
            f"cannot read the file ({err.strerror})", path=where
        ) from None
    if len(raw) > _MAX_BYTES:
        raise DerivationError(
            f"file of {len(raw)} bytes refused; at most "
            f"{_MAX_BYTES} are accepted",
            path=where,
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DerivationError("not UTF-8 text", path=where) from None
    except json.JSONDecodeError as err:
        raise DerivationError(
            f"not valid JSON: {err.msg} at line {err.lineno}",
            path=where,
            line=err.lineno,
        ) from None
    except RecursionError:
        raise DerivationError(
            "not valid JSON: nested too deeply", path=where
        ) from None
    name = Path(path).stem
    if name == "config" and Path(path).resolve().parent.name:
        name = Path(path).resolve().parent.name
    return hf_config_derivation(
        data, name=name, path=Path(path), model_class=model_class
    )


def hf_config_derivation(
    config: Mapping[str, Any],
    *,
    name: str = "config",
    path: Path | None = None,
    model_class: str | None = None,
) -> Derivation:
    """Builds the derivation of a HuggingFace config given as a dict.

    Args:
        config: The parsed ``config.json``.
        name: The derivation's name.
        path: The file it came from, for messages.
        model_class: The class to count; see :func:`load_hf_config`.

    Raises:
        DerivationError: For a bad value or an unknown ``model_type``.
        UnsupportedLayerError: For a class or option not yet supported.

    Example:
        >>> from symcount.evaluate import evaluate
        >>> from symcount.hf_config import hf_config_derivation
        >>> llama = {"model_type": "llama", "hidden_size": 4096,
        ...          "intermediate_size": 11008, "num_hidden_layers": 32,
        ...          "num_attention_heads": 32, "vocab_size": 32000}
        >>> evaluate(hf_config_derivation(llama)).numbers.value()
        6738415616
    """
    reader = _Reader(config, str(path) if path is not None else "<config>")
    model_type = reader.text("model_type", None)
    family = FAMILIES.get(model_type)
    if family is None:
        raise reader.error(
            "model_type",
            f"{model_type!r} is not supported; "
            f"supported: {', '.join(FAMILIES)}",
        )
    cls = model_class or reader.architecture() or family.classes[0]
    if cls not in family.classes:
        raise UnsupportedLayerError(
            f"{reader.path}: counting {cls} is not yet supported; for model_type "
            f"{model_type!r} choose one of {', '.join(family.classes)} "
            "(--hf-class NAME)"
        )

    template = _Template(reader, name, cls)
    family.build(template)
    title = f"{cls} from {Path(reader.path).name} ({family.name})"
    description = (
        f"The {family.name} network of transformers' {cls}, with the sizes of "
        f"{reader.path}. " + " ".join(template.notes)
    )
    return Derivation(
        name=name,
        path=path or Path(reader.path),
        title=title,
        citation=dict(family.citation),
        convention=Convention.PYTORCH,
        symbols=tuple(template.symbols.values()),
        network=template.network,
        claims=(),
        description=description.strip(),
        verify={
            "class": cls,
            "config": template.config,
            "parts": template.parts,
        },
    )


class _Reader:
    """Reads typed values from a config dict; errors name the file and key."""

    def __init__(self, data: object, path: str) -> None:
        self.path = path
        if not isinstance(data, Mapping):
            raise DerivationError(
                f"expected a JSON object, got {type(data).__name__}", path=path
            )
        self.data = data

    def error(self, key: str, message: str) -> DerivationError:
        return DerivationError(message, path=self.path, key=key)

    def get(self, key: str, default: Any) -> Any:
        value = self.data.get(key, default)
        return default if value is None else value

    def size(self, key: str, default: int | None) -> int:
        value = self.get(key, default)
        if value is None:
            raise self.error(
                key, "missing; a positive whole number is required"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(
                key, f"expected a positive whole number, got {_json(value)}"
            )
        return value

    def optional_size(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.size(key, None)

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_json(value)}")
        return value

    def text(self, key: str, default: str | None) -> str:
        value = self.get(key, default)
        if not isinstance(value, str):
            got = "nothing" if value is None else _json(value)
            hint = (
                f"; supported: {', '.join(FAMILIES)}"
                if key == "model_type"
                else ""
            )
            raise self.error(key, f"expected text, got {got}{hint}")
        return value

    def architecture(self) -> str | None:
        value = self.data.get("architectures")
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) for v in value)
        ):
            raise self.error(
                "architectures",
                f"expected a list of class names, got {_json(value)}",
            )
        return value[0]


def _json(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Template:
    """One network under construction, with its symbols and HuggingFace names."""

    def __init__(self, reader: _Reader, name: str, cls: str) -> None:
        self.reader = reader
        self.cls = cls
        self.network = Network(name)
        self.symbols: dict[str, SymbolInfo] = {}
        self.config: dict[str, Any] = {}
        self.parts: dict[str, tuple[str, ...]] = {}
        self.notes: list[str] = []
        self.prefix = ""

    def size(self, key: str, default: int | None, symbol: str, meaning: str):
        """Declares ``symbol`` with the file's ``key`` (or the default)."""
        return self.declare(
            symbol, meaning, self.reader.size(key, default), key
        )

    def declare(
        self, symbol: str, meaning: str, value: object, key: str | None = None
    ) -> sympy.Symbol:
        s = dimension(symbol)
        text = f"{meaning} ({key})" if key else meaning
        self.symbols[symbol] = SymbolInfo(symbol, s, text, sympy.sympify(value))
        if key:
            self.config[key] = s
        return s

    def flag(self, key: str, default: bool) -> bool:
        self.config[key] = value = self.reader.flag(key, default)
        return value

    def refuse(self, key: str, default: bool, what: str) -> None:
        """Refuses a flag that would add modules the template does not have."""
        if self.flag(key, default) != default:
            raise UnsupportedLayerError(
                f"{self.reader.path}: {key}={str(not default).lower()} ({what}) is "
                "not yet supported"
            )

    def add(
        self,
        node: str,
        layer: Layer,
        group: str,
        parts: str | tuple[str, ...],
        tags: tuple[str, ...] = (),
    ) -> None:
        self.network.add(node, layer, group=group, tags=tags)
        patterns = (parts,) if isinstance(parts, str) else parts
        self.parts[node] = tuple(self.prefix + p for p in patterns)

    def chain(self, *nodes: str) -> None:
        for u, v in zip(nodes, nodes[1:], strict=False):
            self.network.connect(u, v)

    def divides(self, part: str, whole: str, values: Mapping[str, int]) -> None:
        if values[whole] % values[part] != 0:
            default = (
                "" if part in self.reader.data else " (transformers' default)"
            )
            raise self.reader.error(
                part,
                f"{values[part]}{default} does not divide "
                f"{whole}={values[whole]}, as the model requires",
            )


@dataclass(frozen=True)
class _Family:
    """A ``model_type``: its classes (the first is the default) and template."""

    name: str
    classes: tuple[str, ...]
    citation: Mapping[str, Any]
    build: Callable[[_Template], None]


def _cite(
    authors: list[str], year: int, title: str, venue: str, url: str
) -> dict[str, Any]:
    return {
        "authors": authors,
        "year": year,
        "title": title,
        "venue": venue,
        "url": url,
    }


# GPT-2, BERT and RoBERTa: torch.nn-style transformer blocks, as the catalogue.


def _gpt2(t: _Template) -> None:
    r = t.reader
    n_vocab = t.size("vocab_size", 50257, "n_vocab", "vocabulary size")
    n_ctx = t.size("n_positions", 1024, "n_ctx", "context size (positions)")
    d_model = t.size("n_embd", 768, "d_model", "model width")
    n_layer = t.size("n_layer", 12, "n_layer", "transformer blocks")
    n_head = t.size("n_head", 12, "n_head", "attention heads")
    t.divides(
        "n_head",
        "n_embd",
        {"n_head": r.size("n_head", 12), "n_embd": r.size("n_embd", 768)},
    )
    inner = r.optional_size("n_inner")
    d_ff = (
        t.size("n_inner", None, "d_ff", "feed-forward inner size")
        if inner is not None
        else t.declare(
            "d_ff",
            "feed-forward inner size: 4 d_model (n_inner unset)",
            4 * d_model,
        )
    )
    t.refuse("add_cross_attention", False, "cross-attention blocks")
    tie = t.flag("tie_word_embeddings", True)

    head = t.cls == "GPT2LMHeadModel"
    t.prefix = "transformer." if head else ""
    t.add("wte", Embedding(n_vocab, d_model), "embeddings", "wte.*")
    t.add("wpe", PositionalEmbedding(n_ctx, d_model), "embeddings", "wpe.*")
    t.add(
        "h",
        TransformerEncoderLayer(d_model, n_head, d_ff, norm_first=True),
        "blocks",
        "h.*",
    )
    t.add("ln_f", LayerNorm(None), "blocks", "ln_f.*")
    t.chain("wte", "h", "ln_f")
    t.chain("wpe", "h")
    t.network.repeat(["h"], n_layer, name="blocks")
    if head:
        t.prefix = ""
        t.add(
            "lm_head", Linear(None, n_vocab, bias=False), "output", "lm_head.*"
        )
        t.chain("ln_f", "lm_head")
        if tie:
            t.network.tie("lm_head.weight", "wte.weight")


def _bert_like(
    t: _Template,
    *,
    prefix: str,
    defaults: Mapping[str, int],
    heads: Mapping[str, str],
) -> None:
    """BERT and RoBERTa: summed embeddings, post-norm blocks, pooler or LM head."""
    n_vocab = t.size(
        "vocab_size", defaults["vocab_size"], "n_vocab", "vocabulary size"
    )
    n_ctx = t.size("max_position_embeddings", 512, "n_ctx", "positions")
    n_segment = t.size(
        "type_vocab_size",
        defaults["type_vocab_size"],
        "n_segment",
        "segment (token type) embeddings",
    )
    d_model = t.size("hidden_size", 768, "d_model", "hidden size H")
    d_ff = t.size("intermediate_size", 3072, "d_ff", "feed-forward size")
    n_layer = t.size("num_hidden_layers", 12, "n_layer", "layers L")
    n_head = t.size("num_attention_heads", 12, "n_head", "attention heads A")
    r = t.reader
    t.divides(
        "num_attention_heads",
        "hidden_size",
        {
            "num_attention_heads": r.size("num_attention_heads", 12),
            "hidden_size": r.size("hidden_size", 768),
        },
    )
    t.refuse("add_cross_attention", False, "cross-attention layers")
    tie = t.flag("tie_word_embeddings", True)

    base = t.cls.endswith("Model")
    t.prefix = "" if base else prefix
    t.add(
        "word_embeddings",
        Embedding(n_vocab, d_model),
        "embeddings",
        "embeddings.word_embeddings.*",
    )
    t.add(
        "position_embeddings",
        PositionalEmbedding(n_ctx, d_model),
        "embeddings",
        "embeddings.position_embeddings.*",
    )
    t.add(
        "token_type_embeddings",
        Embedding(n_segment, d_model),
        "embeddings",
        "embeddings.token_type_embeddings.*",
    )
    t.add(
        "embeddings_norm",
        LayerNorm(d_model),
        "embeddings",
        "embeddings.LayerNorm.*",
    )
    t.add(
        "layer",
        TransformerEncoderLayer(None, n_head, d_ff),
        "encoder",
        "encoder.layer.*",
    )
    for node in (
        "word_embeddings",
        "position_embeddings",
        "token_type_embeddings",
    ):
        t.chain(node, "embeddings_norm")
    t.chain("embeddings_norm", "layer")
    t.network.repeat(["layer"], n_layer, name="encoder")
    if base:
        t.add("pooler", Linear(None, d_model), "pooler", "pooler.*")
        t.chain("layer", "pooler")
        return

    # The masked-LM head: a transform, and an output layer whose weight is the
    # word embedding's when tied; its bias is the head's own vector, which is
    # a second vector when untied.
    t.prefix = ""
    t.add("transform", Linear(None, d_model), "head", heads["transform"])
    t.add("transform_norm", LayerNorm(None), "head", heads["norm"])
    t.add("decoder", Linear(None, n_vocab, bias=True), "head", heads["decoder"])
    t.add(
        "output_bias",
        Opaque(("bias",), ((n_vocab,),), heads["class"]),
        "head",
        heads["bias"],
    )
    t.chain("layer", "transform", "transform_norm", "decoder")
    if tie:
        t.network.tie("decoder.weight", "word_embeddings.weight")
        t.network.tie("decoder.bias", "output_bias.bias")


def _bert(t: _Template) -> None:
    _bert_like(
        t,
        prefix="bert.",
        defaults={"vocab_size": 30522, "type_vocab_size": 2},
        heads={
            "transform": "cls.predictions.transform.dense.*",
            "norm": "cls.predictions.transform.LayerNorm.*",
            "decoder": "cls.predictions.decoder.*",
            "bias": "cls.predictions.bias",
            "class": "BertLMPredictionHead",
        },
    )


def _roberta(t: _Template) -> None:
    _bert_like(
        t,
        prefix="roberta.",
        defaults={"vocab_size": 50265, "type_vocab_size": 2},
        heads={
            "transform": "lm_head.dense.*",
            "norm": "lm_head.layer_norm.*",
            "decoder": "lm_head.decoder.*",
            "bias": "lm_head.bias",
            "class": "RobertaLMHead",
        },
    )


# T5: an encoder and a decoder of RMS-normed blocks without biases.


def _t5(t: _Template) -> None:
    r = t.reader
    n_vocab = t.size("vocab_size", 32128, "n_vocab", "vocabulary size")
    d_model = t.size("d_model", 512, "d_model", "model width")
    d_head = t.size("d_kv", 64, "d_head", "size of one attention head")
    d_ff = t.size("d_ff", 2048, "d_ff", "feed-forward size")
    n_head = t.size("num_heads", 8, "n_head", "attention heads")
    n_bucket = t.size(
        "relative_attention_num_buckets",
        32,
        "n_bucket",
        "relative position buckets",
    )
    n_layer = t.size("num_layers", 6, "n_layer", "encoder blocks")
    decoder_layers = r.optional_size("num_decoder_layers")
    n_layer_dec = (
        t.size("num_decoder_layers", None, "n_layer_dec", "decoder blocks")
        if decoder_layers is not None
        else t.declare(
            "n_layer_dec",
            "decoder blocks: num_layers (num_decoder_layers unset)",
            n_layer,
        )
    )
    act = r.text("feed_forward_proj", "relu")
    pieces = act.split("-")
    if (
        len(pieces) > 2
        or (len(pieces) == 2 and pieces[0] != "gated")
        or not all(p.replace("_", "").isalnum() for p in pieces)
    ):
        raise r.error(
            "feed_forward_proj",
            f"{act!r} is not accepted; write an "
            "activation such as 'relu', or 'gated-' before it",
        )
    t.config["feed_forward_proj"] = act
    gated = pieces[0] == "gated" and len(pieces) == 2
    if "tie_word_embeddings" in r.data:
        t.flag("tie_word_embeddings", True)
    t.notes.append(
        "transformers 5 ties T5's output layer to the shared "
        "embedding whatever tie_word_embeddings says."
    )

    ff = GatedFeedForward if gated else FeedForward
    ff_names = "DenseReluDense.*"

    def attention() -> Layer:
        return GroupedQueryAttention(
            d_model, n_head, head_dim=d_head, bias=False
        )

    t.add("shared", Embedding(n_vocab, d_model), "embeddings", "shared.*")
    for side, stack, times in (
        ("enc", "encoder", n_layer),
        ("dec", "decoder", n_layer_dec),
    ):
        if side == "dec" and t.cls == "T5EncoderModel":
            break
        block = f"{stack}.block.*.layer"
        nodes = [
            (
                f"{side}_self_attn_norm",
                RMSNorm(d_model),
                f"{block}.0.layer_norm.*",
            ),
            (
                f"{side}_self_attn",
                attention(),
                f"{block}.0.SelfAttention.[qkvo].*",
            ),
        ]
        ff_layer = 1
        if side == "dec":
            nodes += [
                (
                    f"{side}_cross_attn_norm",
                    RMSNorm(d_model),
                    f"{block}.1.layer_norm.*",
                ),
                (
                    f"{side}_cross_attn",
                    attention(),
                    f"{block}.1.EncDecAttention.[qkvo].*",
                ),
            ]
            ff_layer = 2
        nodes += [
            (
                f"{side}_ff_norm",
                RMSNorm(d_model),
                f"{block}.{ff_layer}.layer_norm.*",
            ),
            (
                f"{side}_ff",
                ff(d_model, d_ff, bias=False),
                f"{block}.{ff_layer}.{ff_names}",
            ),
        ]
        for node, layer, parts in nodes:
            t.add(node, layer, stack, parts)
        t.chain("shared", *(node for node, _, _ in nodes))
        t.network.repeat([node for node, _, _ in nodes], times, name=stack)
        t.add(
            f"{side}_relative_bias",
            Embedding(n_bucket, n_head),
            stack,
            f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.*",
        )
        t.add(
            f"{side}_final_norm",
            RMSNorm(d_model),
            stack,
            f"{stack}.final_layer_norm.*",
        )
        t.chain(nodes[-1][0], f"{side}_final_norm")
    if t.cls != "T5EncoderModel":
        t.chain("enc_final_norm", "dec_cross_attn")
    if t.cls == "T5ForConditionalGeneration":
        t.add(
            "lm_head", Linear(None, n_vocab, bias=False), "output", "lm_head.*"
        )
        t.chain("dec_final_norm", "lm_head")
        t.network.tie("lm_head.weight", "shared.weight")


# LLaMA, Mistral, Mixtral and Qwen2: RMS norms, rotary positions, gated blocks.


def _llama_like(
    t: _Template, defaults: Mapping[str, int], *, kind: str
) -> None:
    r = t.reader
    n_vocab = t.size(
        "vocab_size", defaults["vocab_size"], "n_vocab", "vocabulary size"
    )
    d_model = t.size("hidden_size", 4096, "d_model", "model width")
    d_ff = t.size(
        "intermediate_size",
        defaults["intermediate_size"],
        "d_ff",
        "feed-forward size of the gated block",
    )
    n_layer = t.size("num_hidden_layers", 32, "n_layer", "layers")
    n_head = t.size("num_attention_heads", 32, "n_head", "attention heads")
    width, heads = (
        r.size("hidden_size", 4096),
        r.size("num_attention_heads", 32),
    )
    kv = r.optional_size("num_key_value_heads") or defaults.get(
        "num_key_value_heads", heads
    )
    n_kv_head = None
    if kv != heads:
        n_kv_head = t.declare(
            "n_kv_head",
            "key and value heads (num_key_value_heads)",
            kv,
            "num_key_value_heads",
        )
        t.divides(
            "num_key_value_heads",
            "num_attention_heads",
            {"num_key_value_heads": kv, "num_attention_heads": heads},
        )
    elif "num_key_value_heads" in r.data:
        t.config["num_key_value_heads"] = n_head
    head_dim = r.optional_size("head_dim")
    d_head = None
    if head_dim is not None and head_dim * heads != width:
        d_head = t.size(
            "head_dim", None, "d_head", "size of one attention head"
        )
    elif head_dim is None:
        t.divides(
            "num_attention_heads",
            "hidden_size",
            {"num_attention_heads": heads, "hidden_size": width},
        )
    tie = t.flag("tie_word_embeddings", False)
    attention_bias = kind == "llama" and t.flag("attention_bias", False)
    mlp_bias = kind == "llama" and t.flag("mlp_bias", False)

    head = t.cls.endswith("ForCausalLM")
    t.prefix = "model." if head else ""
    rotary = d_head if d_head is not None else d_model / n_head
    t.add(
        "embed_tokens",
        Embedding(n_vocab, d_model),
        "embeddings",
        "embed_tokens.*",
    )
    t.add("rotary_emb", RotaryEmbedding(rotary), "embeddings", ())
    t.add(
        "input_layernorm", RMSNorm(None), "layers", "layers.*.input_layernorm.*"
    )
    if kind == "qwen2":
        # Qwen2's queries, keys and values have biases; its output has none.
        head_size = d_head if d_head is not None else d_model / n_head
        kv_size = (n_kv_head or n_head) * head_size
        attention = [
            ("q_proj", Linear(d_model, n_head * head_size, bias=True)),
            ("k_proj", Linear(d_model, kv_size, bias=True)),
            ("v_proj", Linear(d_model, kv_size, bias=True)),
            ("o_proj", Linear(n_head * head_size, d_model, bias=False)),
        ]
        for name, layer in attention:
            t.add(
                name,
                layer,
                "layers",
                f"layers.*.self_attn.{name}.*",
                ("attention",),
            )
        t.chain("input_layernorm", "q_proj")
        attention_nodes = [name for name, _ in attention]
    else:
        t.add(
            "self_attn",
            GroupedQueryAttention(
                None, n_head, n_kv_head, d_head, bias=attention_bias
            ),
            "layers",
            "layers.*.self_attn.*",
            ("attention",),
        )
        t.chain("input_layernorm", "self_attn")
        attention_nodes = ["self_attn"]
    t.add(
        "post_attention_layernorm",
        RMSNorm(d_model),
        "layers",
        "layers.*.post_attention_layernorm.*",
    )
    if kind == "mixtral":
        n_expert = t.size(
            "num_local_experts", 8, "n_expert", "experts per layer"
        )
        top_k = t.size(
            "num_experts_per_tok", 2, "top_k", "experts each token uses"
        )
        if r.size("num_experts_per_tok", 2) > r.size("num_local_experts", 8):
            raise r.error("num_experts_per_tok", "exceeds num_local_experts")
        mlp: Layer = MixtureOfExperts(
            None, d_ff, n_expert, top_k, gated=True, bias=False
        )
    else:
        mlp = GatedFeedForward(None, d_ff, bias=mlp_bias)
    t.add("mlp", mlp, "layers", "layers.*.mlp.*", ("feed-forward",))
    t.add("norm", RMSNorm(None), "layers", "norm.*")
    t.chain("embed_tokens", "input_layernorm")
    t.chain(attention_nodes[-1], "post_attention_layernorm", "mlp", "norm")
    t.network.repeat(
        [
            "input_layernorm",
            *attention_nodes,
            "post_attention_layernorm",
            "mlp",
        ],
        n_layer,
        name="layers",
    )
    if head:
        t.prefix = ""
        t.add(
            "lm_head", Linear(None, n_vocab, bias=False), "output", "lm_head.*"
        )
        t.chain("norm", "lm_head")
        if tie:
            t.network.tie("lm_head.weight", "embed_tokens.weight")


def _llama(t: _Template) -> None:
    _llama_like(
        t, {"vocab_size": 32000, "intermediate_size": 11008}, kind="llama"
    )


def _mistral(t: _Template) -> None:
    _llama_like(
        t,
        {
            "vocab_size": 32000,
            "intermediate_size": 14336,
            "num_key_value_heads": 8,
        },
        kind="mistral",
    )


def _mixtral(t: _Template) -> None:
    _llama_like(
        t,
        {
            "vocab_size": 32000,
            "intermediate_size": 14336,
            "num_key_value_heads": 8,
        },
        kind="mixtral",
    )


def _qwen2(t: _Template) -> None:
    _llama_like(
        t,
        {
            "vocab_size": 151936,
            "intermediate_size": 22016,
            "num_key_value_heads": 32,
        },
        kind="qwen2",
    )


# OPT and GPT-NeoX: learned or rotary positions, plain feed-forward blocks.


def _opt(t: _Template) -> None:
    r = t.reader
    n_vocab = t.size("vocab_size", 50272, "n_vocab", "vocabulary size")
    n_ctx = t.size("max_position_embeddings", 2048, "n_ctx", "positions")
    d_model = t.size("hidden_size", 768, "d_model", "model width")
    d_ff = t.size("ffn_dim", 3072, "d_ff", "feed-forward size")
    n_layer = t.size("num_hidden_layers", 12, "n_layer", "decoder layers")
    n_head = t.size("num_attention_heads", 12, "n_head", "attention heads")
    width = r.size("hidden_size", 768)
    t.divides(
        "num_attention_heads",
        "hidden_size",
        {
            "num_attention_heads": r.size("num_attention_heads", 12),
            "hidden_size": width,
        },
    )
    projected = r.optional_size("word_embed_proj_dim")
    d_embed = d_model
    if projected is not None and projected != width:
        d_embed = t.size(
            "word_embed_proj_dim",
            None,
            "d_embed",
            "word embedding size, projected to d_model",
        )
    pre_norm = t.flag("do_layer_norm_before", True)
    final_norm = pre_norm and not t.flag("_remove_final_layer_norm", False)
    bias = t.flag("enable_bias", True)
    affine = t.flag("layer_norm_elementwise_affine", True)
    tie = t.flag("tie_word_embeddings", True)

    head = t.cls == "OPTForCausalLM"
    t.prefix = "model.decoder." if head else "decoder."

    def norm() -> Layer:
        return LayerNorm(d_model, elementwise_affine=affine, bias=True)

    t.add(
        "embed_tokens",
        Embedding(n_vocab, d_embed),
        "embeddings",
        "embed_tokens.*",
    )
    t.notes.append(
        "OPT's position table has 2 rows beyond max_position_embeddings."
    )
    t.add(
        "embed_positions",
        PositionalEmbedding(n_ctx + 2, d_model),
        "embeddings",
        "embed_positions.*",
    )
    first = "embed_tokens"
    if d_embed is not d_model:
        t.add(
            "project_in",
            Linear(d_embed, d_model, bias=False),
            "embeddings",
            "project_in.*",
        )
        t.chain("embed_tokens", "project_in")
        first = "project_in"
    block = [
        ("self_attn_layer_norm", norm(), "layers.*.self_attn_layer_norm.*"),
        (
            "self_attn",
            MultiheadAttention(d_model, n_head, bias=bias),
            "layers.*.self_attn.*",
        ),
        ("final_layer_norm", norm(), "layers.*.final_layer_norm.*"),
        (
            "fc",
            FeedForward(d_model, d_ff, bias=bias),
            ("layers.*.fc1.*", "layers.*.fc2.*"),
        ),
    ]
    for node, layer, parts in block:
        t.add(node, layer, "layers", parts)
    t.chain(first, *(node for node, _, _ in block))
    t.chain("embed_positions", "self_attn_layer_norm")
    t.network.repeat([node for node, _, _ in block], n_layer, name="layers")
    last = "fc"
    if final_norm:
        t.add("norm", norm(), "layers", "final_layer_norm.*")
        t.chain(last, "norm")
        last = "norm"
    if d_embed is not d_model:
        t.add(
            "project_out",
            Linear(d_model, d_embed, bias=False),
            "layers",
            "project_out.*",
        )
        t.chain(last, "project_out")
        last = "project_out"
    if head:
        t.prefix = ""
        t.add(
            "lm_head", Linear(None, n_vocab, bias=False), "output", "lm_head.*"
        )
        t.chain(last, "lm_head")
        if tie:
            t.network.tie("lm_head.weight", "embed_tokens.weight")


def _gpt_neox(t: _Template) -> None:
    r = t.reader
    n_vocab = t.size("vocab_size", 50432, "n_vocab", "vocabulary size")
    d_model = t.size("hidden_size", 6144, "d_model", "model width")
    d_ff = t.size("intermediate_size", 24576, "d_ff", "feed-forward size")
    n_layer = t.size("num_hidden_layers", 44, "n_layer", "layers")
    n_head = t.size("num_attention_heads", 64, "n_head", "attention heads")
    t.divides(
        "num_attention_heads",
        "hidden_size",
        {
            "num_attention_heads": r.size("num_attention_heads", 64),
            "hidden_size": r.size("hidden_size", 6144),
        },
    )
    bias = t.flag("attention_bias", True)
    tie = t.flag("tie_word_embeddings", False)

    head = t.cls == "GPTNeoXForCausalLM"
    t.prefix = "gpt_neox." if head else ""
    t.add("embed_in", Embedding(n_vocab, d_model), "embeddings", "embed_in.*")
    block = [
        ("input_layernorm", LayerNorm(None), "layers.*.input_layernorm.*"),
        (
            "attention",
            MultiheadAttention(None, n_head, bias=bias),
            "layers.*.attention.*",
        ),
        (
            "post_attention_layernorm",
            LayerNorm(d_model),
            "layers.*.post_attention_layernorm.*",
        ),
        ("mlp", FeedForward(None, d_ff, bias=True), "layers.*.mlp.*"),
    ]
    for node, layer, parts in block:
        t.add(node, layer, "layers", parts)
    t.chain("embed_in", *(node for node, _, _ in block))
    t.network.repeat([node for node, _, _ in block], n_layer, name="layers")
    t.add("final_layer_norm", LayerNorm(None), "layers", "final_layer_norm.*")
    t.chain("mlp", "final_layer_norm")
    if head:
        t.prefix = ""
        t.add(
            "lm_head", Linear(None, n_vocab, bias=False), "output", "lm_head.*"
        )
        t.chain("final_layer_norm", "lm_head")
        if tie:
            t.network.tie("lm_head.weight", "embed_in.weight")


FAMILIES: dict[str, _Family] = {
    "gpt2": _Family(
        "GPT-2",
        ("GPT2LMHeadModel", "GPT2Model"),
        _cite(
            [
                "Alec Radford",
                "Jeffrey Wu",
                "Rewon Child",
                "David Luan",
                "Dario Amodei",
                "Ilya Sutskever",
            ],
            2019,
            "Language Models are Unsupervised Multitask Learners",
            "OpenAI technical report",
            "https://cdn.openai.com/better-language-models/language_models_are_"
            "unsupervised_multitask_learners.pdf",
        ),
        _gpt2,
    ),
    "bert": _Family(
        "BERT",
        ("BertModel", "BertForMaskedLM"),
        _cite(
            [
                "Jacob Devlin",
                "Ming-Wei Chang",
                "Kenton Lee",
                "Kristina Toutanova",
            ],
            2019,
            "BERT: Pre-training of Deep Bidirectional Transformers for Language "
            "Understanding",
            "NAACL-HLT 2019",
            "https://arxiv.org/abs/1810.04805",
        ),
        _bert,
    ),
    "roberta": _Family(
        "RoBERTa",
        ("RobertaModel", "RobertaForMaskedLM"),
        _cite(
            ["Yinhan Liu", "Myle Ott", "Naman Goyal", "Jingfei Du", "et al."],
            2019,
            "RoBERTa: A Robustly Optimized BERT Pretraining Approach",
            "arXiv:1907.11692",
            "https://arxiv.org/abs/1907.11692",
        ),
        _roberta,
    ),
    "t5": _Family(
        "T5",
        ("T5ForConditionalGeneration", "T5Model", "T5EncoderModel"),
        _cite(
            [
                "Colin Raffel",
                "Noam Shazeer",
                "Adam Roberts",
                "Katherine Lee",
                "et al.",
            ],
            2020,
            "Exploring the Limits of Transfer Learning with a Unified "
            "Text-to-Text Transformer",
            "JMLR 21",
            "https://arxiv.org/abs/1910.10683",
        ),
        _t5,
    ),
    "llama": _Family(
        "LLaMA",
        ("LlamaForCausalLM", "LlamaModel"),
        _cite(
            [
                "Hugo Touvron",
                "Thibaut Lavril",
                "Gautier Izacard",
                "Xavier Martinet",
                "et al.",
            ],
            2023,
            "LLaMA: Open and Efficient Foundation Language Models",
            "arXiv:2302.13971",
            "https://arxiv.org/abs/2302.13971",
        ),
        _llama,
    ),
    "mistral": _Family(
        "Mistral",
        ("MistralForCausalLM", "MistralModel"),
        _cite(
            [
                "Albert Q. Jiang",
                "Alexandre Sablayrolles",
                "Arthur Mensch",
                "et al.",
            ],
            2023,
            "Mistral 7B",
            "arXiv:2310.06825",
            "https://arxiv.org/abs/2310.06825",
        ),
        _mistral,
    ),
    "mixtral": _Family(
        "Mixtral",
        ("MixtralForCausalLM", "MixtralModel"),
        _cite(
            [
                "Albert Q. Jiang",
                "Alexandre Sablayrolles",
                "Antoine Roux",
                "et al.",
            ],
            2024,
            "Mixtral of Experts",
            "arXiv:2401.04088",
            "https://arxiv.org/abs/2401.04088",
        ),
        _mixtral,
    ),
    "qwen2": _Family(
        "Qwen2",
        ("Qwen2ForCausalLM", "Qwen2Model"),
        _cite(
            ["An Yang", "Baosong Yang", "Binyuan Hui", "et al."],
            2024,
            "Qwen2 Technical Report",
            "arXiv:2407.10671",
            "https://arxiv.org/abs/2407.10671",
        ),
        _qwen2,
    ),
    "opt": _Family(
        "OPT",
        ("OPTForCausalLM", "OPTModel"),
        _cite(
            [
                "Susan Zhang",
                "Stephen Roller",
                "Naman Goyal",
                "Mikel Artetxe",
                "et al.",
            ],
            2022,
            "OPT: Open Pre-trained Transformer Language Models",
            "arXiv:2205.01068",
            "https://arxiv.org/abs/2205.01068",
        ),
        _opt,
    ),
    "gpt_neox": _Family(
        "GPT-NeoX",
        ("GPTNeoXForCausalLM", "GPTNeoXModel"),
        _cite(
            ["Sid Black", "Stella Biderman", "Eric Hallahan", "et al."],
            2022,
            "GPT-NeoX-20B: An Open-Source Autoregressive Language Model",
            "arXiv:2204.06745",
            "https://arxiv.org/abs/2204.06745",
        ),
        _gpt_neox,
    ),
}
"""The supported families by ``model_type``."""
