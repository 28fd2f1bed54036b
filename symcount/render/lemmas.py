"""Lemmas: one per layer kind, stating a layer's equations and parameter count.

A lemma is written over generic sizes (``m`` inputs, ``n`` outputs or cells)
and then applied to each node of that kind. Its per-convention counts come
from the layer class itself, counted over those generic sizes, so the lemma
and the count can never disagree silently: an application that does not equal
the node's own tensors falls back to the plain sum of those tensors.

Kinds are dispatched with :func:`functools.singledispatch` on the layer class;
a kind with no lemma of its own gets :func:`layer_lemma`'s generic one, built
from its tensors, so a new layer kind renders without touching this module.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from symcount.conventions import Convention
from symcount.count import Part, closed_form
from symcount.layers import GRU, LSTM, RNN, Embedding, Layer, Linear, Tensor
from symcount.render.latex import Latex, escape_text, math

__all__ = [
    "Instance",
    "Lemma",
    "TensorRow",
    "layer_lemma",
    "lemmas",
    "node_ref",
    "tensor_rows",
]

_m, _n, _k, _r, _V = (
    sympy.Symbol(s, integer=True, positive=True)
    for s in ("m", "n", "k", "r", "V")
)
_beta = sympy.Symbol("beta", integer=True, nonnegative=True)


@dataclass(frozen=True)
class TensorRow:
    """One parameter tensor of a node, typeset for a table."""

    name: Latex
    shape: Latex
    copies: Latex
    numel: Latex
    role: str
    tied: bool


@dataclass(frozen=True)
class Instance:
    """A lemma applied to one node: the equation rows and the node's tensors."""

    node: str
    application: tuple[Latex, ...]
    tensors: tuple[TensorRow, ...]
    total: Latex


@dataclass(frozen=True)
class Lemma:
    """One layer kind's equations and count, and its application to the nodes.

    Attributes:
        kind: The layer kind, e.g. ``"LSTM"``.
        title: The lemma's name, plain text.
        statement: The claim, LaTeX prose with inline math.
        equations: Rows of an ``align*`` block: the layer's equations.
        proof: Why the count follows, LaTeX prose.
        conventions: ``(convention, count)`` for each bias convention.
        instances: The lemma applied to each node of this kind.
    """

    kind: str
    title: str
    statement: Latex
    equations: tuple[Latex, ...]
    proof: Latex
    conventions: tuple[tuple[str, Latex], ...]
    instances: tuple[Instance, ...]


def node_ref(name: str) -> Latex:
    """A node's name as it appears in text and math: ``\\texttt{embed\\_src}``.

    Example:
        >>> from symcount.render.lemmas import node_ref
        >>> print(node_ref("softmax"))
        \\texttt{softmax}
    """
    return Latex(f"\\texttt{{{escape_text(name)}}}")


def _tensor_name(tensor: Tensor) -> Latex:
    """``weight_ih_l{k}`` as ``\\texttt{weight\\_ih\\_l$k$}``: ``{k}`` is an index."""
    pieces = [escape_text(piece) for piece in tensor.name.split("{k}")]
    return Latex("\\texttt{" + "$k$".join(pieces) + "}")


def tensor_rows(part: Part) -> tuple[TensorRow, ...]:
    """The tensors of ``part`` as table rows: name, shape, copies, size.

    Example:
        >>> from symcount import count_parameters
        >>> from symcount.layers import Linear
        >>> from symcount.symbols import n, V_tgt
        >>> part = count_parameters(Linear(n, V_tgt)).parts[0]
        >>> print(tensor_rows(part)[0].shape)
        V_{\\mathrm{tgt}} \\times n
    """
    rows = []
    for tensor in part.tensors:
        copies = math(tensor.copies)
        if tensor.index is not None:
            low, high = (math(i) for i in tensor.index)
            copies = Latex(f"{copies}\\quad (k = {low}, \\ldots, {high})")
        rows.append(
            TensorRow(
                name=_tensor_name(tensor),
                shape=Latex(" \\times ".join(math(s) for s in tensor.shape)),
                copies=copies,
                numel=math(sympy.factor(tensor.numel)),
                role=tensor.role,
                tied=tensor.name in part.tied,
            )
        )
    return tuple(rows)


def _conventions(build) -> tuple[tuple[str, Latex], ...]:
    """``(convention, count)`` for each convention, counted by the layer class."""
    return tuple((c.value, Latex(build(c))) for c in Convention)


def _generic_instance(part: Part, function: str | None = None) -> Instance:
    own = sympy.expand(sum((t.numel for t in part.tensors), 0))
    terms = [math(closed_form(t.numel)) for t in part.tensors] or ["0"]
    rows = [Latex(f"N({node_ref(part.name)}) &= " + " + ".join(terms))]
    if len(terms) > 1:
        rows.append(Latex(f"&= {math(closed_form(own))}"))
    return Instance(
        part.name, tuple(rows), tensor_rows(part), math(closed_form(own))
    )


def _instance(
    part: Part, steps: Sequence[str], formula: sympy.Expr
) -> Instance:
    """Applies a lemma: ``steps`` are the right-hand sides, ``formula`` their value.

    Falls back to the sum of the tensors if ``formula`` is not the node's count.
    """
    own = sympy.expand(sum((t.numel for t in part.tensors), 0))
    if sympy.expand(formula - own) != 0:
        return _generic_instance(part)
    rows = [Latex(f"N({node_ref(part.name)}) &= {steps[0]}")]
    rows += [Latex(f"&= {step}") for step in steps[1:]]
    result = math(closed_form(own))
    if str(result) != steps[-1]:
        rows.append(Latex(f"&= {result}"))
    return Instance(part.name, tuple(rows), tensor_rows(part), result)


@functools.singledispatch
def layer_lemma(
    layer: Layer, convention: Convention, parts: Sequence[Part]
) -> Lemma:
    """The lemma of ``layer``'s kind, applied to ``parts`` (its nodes).

    The generic lemma, for kinds without one of their own, states that the
    count is the sum of the layer's tensors and lists them.

    Args:
        layer: The layer of the first node of this kind (used for dispatch).
        convention: The convention the report counts under.
        parts: Every node of this kind, from the count.

    Returns:
        A :class:`Lemma`.

    Example:
        >>> from symcount import count_parameters
        >>> from symcount.layers import LSTM
        >>> from symcount.render.lemmas import layer_lemma
        >>> from symcount.symbols import d, n
        >>> count = count_parameters(LSTM(d, n))
        >>> print(layer_lemma(count.parts[0].layer, count.convention,
        ...                   count.parts).conventions[0][1])
        4 \\left(m n + n^{2}\\right)
    """
    kind = layer.kind
    conventions = _conventions(lambda c: math(closed_form(layer.count(c))))
    statement = Latex(
        f"A layer of kind \\texttt{{{escape_text(kind)}}} has no equations in "
        "symcount yet; its parameters are the tensors it declares, and its count "
        "is the sum of their sizes."
    )
    proof = Latex(
        "Each tensor of shape $s_1 \\times \\cdots \\times s_r$ holds "
        "$s_1 \\cdots s_r$ parameters; the layer holds the sum."
    )
    return Lemma(
        kind,
        f"{kind} layer",
        statement,
        (),
        proof,
        conventions,
        tuple(_generic_instance(p) for p in parts),
    )


@layer_lemma.register
def _(layer: Embedding, convention: Convention, parts: Sequence[Part]) -> Lemma:
    conventions = _conventions(lambda c: math(Embedding(_V, _m).count(c)))
    statement = Latex(
        "An embedding of a vocabulary of $V$ words in dimension $m$ has "
        "$P_{\\mathrm{Emb}}(V, m) = V m$ parameters, under every convention."
    )
    equations = (
        Latex(
            "x_t &= E^{\\top} e_{w_t}, \\qquad E \\in \\mathbb{R}^{V \\times m}"
        ),
    )
    proof = Latex(
        "The word $w_t$ is the one-hot vector $e_{w_t} \\in \\{0, 1\\}^V$, and its "
        "vector $x_t$ is the row of $E$ it selects. $E$ is the only tensor "
        "(\\texttt{weight}, $V \\times m$); a lookup has no bias."
    )
    instances = []
    for part in parts:
        emb = part.layer
        args = f"{math(emb.num_embeddings)}, {math(emb.embedding_dim)}"
        formula = emb.num_embeddings * emb.embedding_dim
        instances.append(
            _instance(
                part,
                [f"P_{{\\mathrm{{Emb}}}}({args})", str(math(formula))],
                formula,
            )
        )
    return Lemma(
        "Embedding",
        "Embedding",
        statement,
        equations,
        proof,
        conventions,
        tuple(instances),
    )


def _beta_of(tensors: Sequence[Tensor]) -> int:
    return sum(1 for t in tensors if t.role == "bias")


@layer_lemma.register
def _(layer: Linear, convention: Convention, parts: Sequence[Part]) -> Lemma:
    conventions = _conventions(lambda c: math(Linear(_m, _k).count(c)))
    statement = Latex(
        "A fully connected layer from $m$ inputs to $k$ outputs has "
        "$P_{\\mathrm{Lin}}(m, k) = k m + \\beta k$ parameters, where $\\beta$ is "
        "the number of bias vectors: $0$ or $1$."
    )
    equations = (
        Latex(
            "y &= W x + b, \\qquad W \\in \\mathbb{R}^{k \\times m}, "
            "\\quad b \\in \\mathbb{R}^{k}"
        ),
    )
    proof = Latex(
        "$W$ (\\texttt{weight}, $k \\times m$) has $k m$ entries and the bias "
        "$b$ (\\texttt{bias}) $k$. A paper's $y = W x$ has no bias ($\\beta = 0$); "
        "Keras and PyTorch add one unless told not to ($\\beta = 1$)."
    )
    instances = []
    for part in parts:
        lin = part.layer
        beta = _beta_of(part.tensors)
        m, k = lin.in_features, lin.out_features
        formula = k * m + beta * k
        applied = f"P_{{\\mathrm{{Lin}}}}({math(m)}, {math(k)})"
        steps = [f"{applied}\\big|_{{\\beta = {beta}}}", str(math(formula))]
        instances.append(_instance(part, steps, formula))
    return Lemma(
        "Linear",
        "Fully connected layer",
        statement,
        equations,
        proof,
        conventions,
        tuple(instances),
    )


_GATES = {
    "RNN": [("h_t", "\\tanh", "")],
    "LSTM": [
        ("i_t", "\\sigma", "i"),
        ("f_t", "\\sigma", "f"),
        ("g_t", "\\tanh", "g"),
        ("o_t", "\\sigma", "o"),
    ],
    "GRU": [("r_t", "\\sigma", "r"), ("z_t", "\\sigma", "z")],
}
_STATES = {
    "LSTM": [
        "c_t &= f_t \\odot c_{t-1} + i_t \\odot g_t, \\qquad "
        "h_t = o_t \\odot \\tanh(c_t)"
    ],
    "GRU": [
        "\\tilde h_t &= \\tanh\\bigl(W_h x_t + r_t \\odot (U_h h_{t-1}) + "
        "b_h\\bigr)",
        "h_t &= (1 - z_t) \\odot \\tilde h_t + z_t \\odot h_{t-1}",
    ],
}
_WORDS = {
    "RNN": ("An", "one set of weights, for its update"),
    "LSTM": ("An", "four gates (input, forget, cell and output), each with"),
    "GRU": ("A", "three gates (reset, update and the new state), each with"),
}


def _recurrent_text(
    kind: str,
    gates: int,
    biases: dict[str, int],
    projected: bool,
    bidirectional: bool,
) -> tuple[Latex, Latex]:
    """The statement and proof of a recurrent lemma."""
    name = f"P_{{\\mathrm{{{kind}}}}}"
    article, has = _WORDS[kind]
    inner = "n m + n^{2} + \\beta n"
    general = f"{gates} \\left({inner}\\right)" if gates > 1 else inner
    statement = (
        f"{article} {kind} layer with $m$ inputs and $n$ cells has {has} input "
        "weights $W \\in \\mathbb{R}^{n \\times m}$, recurrent weights "
        "$U \\in \\mathbb{R}^{n \\times n}$ and $\\beta$ bias vectors in "
        f"$\\mathbb{{R}}^n$; hence ${name}(m, n) = {general}$. A stack of $L$ "
        "such layers reads its input in the first layer and the $n$ outputs of "
        "the layer below in the others."
    )
    if projected:
        statement += (
            " With a projection to $r < n$ outputs, $h_t$ is $W_r$ times the "
            "above, $W_r \\in \\mathbb{R}^{r \\times n}$, and $U$ reads $r$ "
            f"values: ${name}(m, n, r) = {gates} \\left(n m + n r + \\beta n"
            "\\right) + r n$, and the layers above read $r$ values."
        )
    if bidirectional:
        statement += (
            " A bidirectional layer has a second set of tensors for the "
            "reverse direction, and the layer above reads both outputs."
        )
    rows = f"{gates} n" if gates > 1 else "n"
    per = "Per gate, " if gates > 1 else ""
    proof = (
        f"{per}$W$ has $n m$ entries, $U$ has $n^2$ and each bias vector $n$"
        + (f"; there are {gates} gates" if gates > 1 else "")
        + ". torch.nn stores "
        + ("the gates stacked: " if gates > 1 else "them as ")
        + f"\\texttt{{weight\\_ih}} is ${rows} \\times m$ and "
        f"\\texttt{{weight\\_hh}} ${rows} \\times n$. The bias vectors per set "
        f"of weights are $\\beta = {biases['paper']}$ in the paper's equations, "
        f"$\\beta = {biases['keras']}$ in Keras and $\\beta = "
        f"{biases['pytorch']}$ in PyTorch (\\texttt{{bias\\_ih}} and "
        "\\texttt{bias\\_hh})."
    )
    if kind == "GRU":
        proof += (
            " The new state $\\tilde h_t$ counts as a third gate with its "
            "own $W_h$, $U_h$ and biases."
        )
    if projected:
        proof += (
            " The projection $W_r$ is \\texttt{weight\\_hr}, $r \\times n$."
        )
    return Latex(statement), Latex(proof)


def _recurrent_lemma(
    layer: RNN | LSTM | GRU, convention: Convention, parts: Sequence[Part]
) -> Lemma:
    kind, gates = layer.kind, layer.gates
    name = f"P_{{\\mathrm{{{kind}}}}}"

    # The equations: each gate reads x_t through W and h_{t-1} through U.
    rows = []
    for out, act, sub in _GATES[kind]:
        index = f"_{sub}" if sub else ""
        rows.append(
            f"{out} &= {act}\\bigl(W{index} x_t + U{index} h_{{t-1}} + "
            f"b{index}\\bigr)"
        )
    rows += _STATES.get(kind, [])
    equations = tuple(Latex(r) for r in rows)

    # The lemma's count for each convention, counted by the layer class.
    def one_layer(c: Convention) -> Latex:
        count = type(layer)(_m, _n).count(c)
        if gates == 1:
            return math(count)
        return Latex(
            f"{gates} \\left({math(sympy.expand(count / gates))}\\right)"
        )

    layers = [p.layer for p in parts]
    projected = any(getattr(rec, "proj_size", 0) != 0 for rec in layers)
    biases = {c.value: len(layer.bias_vectors(c)) for c in Convention}
    statement, proof = _recurrent_text(
        kind, gates, biases, projected, any(rec.bidirectional for rec in layers)
    )

    # Apply it to each node: layer 1 reads the input, the others the layer below.
    instances = []
    for part in parts:
        rec = part.layer
        beta = sum(
            1
            for t in part.tensors
            if t.role == "bias" and t.name.endswith("_l0")
        )
        size = rec.recurrent_size
        projection = getattr(rec, "proj_size", 0) != 0

        def per_layer(
            m: sympy.Expr, rec=rec, beta=beta, size=size, projection=projection
        ) -> sympy.Expr:
            n = rec.hidden_size
            return gates * (n * m + n * size + beta * n) + (
                size * n if projection else 0
            )

        extra = f", {math(size)}" if projection else ""
        first_in, deeper_in = rec.input_size, rec.directions * size
        first = f"{name}({math(first_in)}, {math(rec.hidden_size)}{extra})"
        deeper = f"{name}({math(deeper_in)}, {math(rec.hidden_size)}{extra})"
        steps = [first]
        values = [str(math(per_layer(first_in)))]
        formula = per_layer(first_in)
        more = rec.num_layers - 1
        if more != 0:
            times = (
                ""
                if more == 1
                else (
                    f"\\left({math(more)}\\right)\\,"
                    if more.is_Add
                    else f"{math(more)}\\,"
                )
            )
            steps = [f"{first} + {times}{deeper}"]
            values = [
                f"\\left({values[0]}\\right)",
                f"{times}\\left({math(per_layer(deeper_in))}\\right)",
            ]
            formula += more * per_layer(deeper_in)
        if rec.directions == 2:
            steps = [f"2 \\left[{steps[0]}\\right]"]
            values = ["2 \\left[" + " + ".join(values) + "\\right]"]
            formula *= 2
        steps[0] += f" \\quad (\\beta = {beta})"
        steps.append(" + ".join(values))
        instances.append(_instance(part, steps, formula))
    return Lemma(
        kind,
        f"{kind} layer",
        statement,
        equations,
        proof,
        _conventions(one_layer),
        tuple(instances),
    )


for _kind in (RNN, LSTM, GRU):
    layer_lemma.register(_kind, _recurrent_lemma)


def lemmas(parts: Sequence[Part], convention: Convention) -> tuple[Lemma, ...]:
    """One lemma per layer kind among ``parts``, in order of first use.

    Example:
        >>> from symcount.derivation import load_derivation
        >>> from symcount.evaluate import evaluate
        >>> from symcount.render.lemmas import lemmas
        >>> result = evaluate(load_derivation("seq2seq"))
        >>> [lemma.kind for lemma in lemmas(result.count.parts, result.convention)]
        ['Embedding', 'LSTM', 'Linear']
    """
    kinds: dict[type, list[Part]] = {}
    for part in parts:
        kinds.setdefault(type(part.layer), []).append(part)
    return tuple(
        layer_lemma(group[0].layer, convention, group)
        for group in kinds.values()
    )
