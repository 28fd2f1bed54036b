"""Tests the derivation loader: where errors point, and what valid files may do."""

from __future__ import annotations

import textwrap

import pytest

from symcount import count_parameters
from symcount.derivation import load_derivation
from symcount.errors import DerivationError
from symcount.evaluate import evaluate
from symcount.symbols import dimension
from symcount.tomlkeys import key_lines

HEAD = """\
title = "Two layers"

[citation]
authors = ["A. Author"]
year = 2020

[symbols]
V = { meaning = "vocabulary", value = 1000 }
d = { meaning = "width", value = 64 }
"""


def write(tmp_path, body: str, head: str = HEAD):
    path = tmp_path / "case.toml"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def error_of(path) -> str:
    with pytest.raises(DerivationError) as raised:
        load_derivation(path)
    return str(raised.value).removeprefix(f"{path}:")


class TestKeyLines:
    def test_tables_dotted_keys_and_arrays_of_tables(self):
        text = textwrap.dedent("""\
            title = "x"
            [layers.a]
            kind = "LSTM"
            [layers]
            b.kind = "Linear"
            [[edges]]
            from = "a"
            [[edges]]
            to = "b"
            """)
        lines, _ = key_lines(text)
        assert lines[("title",)] == 1
        assert lines[("layers", "a", "kind")] == 3
        assert lines[("layers", "b", "kind")] == 5
        assert lines[("edges", 0, "from")] == 7
        assert lines[("edges", 1)] == 8
        assert lines[("edges", 1, "to")] == 9

    def test_inline_tables_and_arrays_over_several_lines(self):
        text = textwrap.dedent("""\
            edges = [
              { from = "a", to = "b" },   # first
              { from = "b",
                to = "c" },
            ]
            tags = ["x",
                    "y"]
            """)
        lines, _ = key_lines(text)
        assert lines[("edges", 0, "from")] == 2
        assert lines[("edges", 1, "from")] == 3
        assert lines[("edges", 1, "to")] == 4
        assert lines[("tags", 1)] == 7

    def test_text_that_looks_like_keys_is_not_taken_for_keys(self):
        text = textwrap.dedent('''\
            description = """
            [layers.fake]
            kind = "LSTM" \\""" still text
            """
            quote = 'a = b # not a comment'
            "quoted key" = 1
            'literal.key' = { "in.ner" = 2 }
            next = 3
            ''')
        lines, _ = key_lines(text)
        assert ("layers", "fake") not in lines and ("kind",) not in lines
        assert lines[("quote",)] == 5
        assert lines[("quoted key",)] == 6
        assert lines[("literal.key", "in.ner")] == 7
        assert lines[("next",)] == 8

    def test_nested_arrays_of_tables_count_per_parent(self):
        text = "[[a]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\ny = 2\n"
        lines, _ = key_lines(text)
        assert lines[("a", 0, "b", 0, "x")] == 3
        assert lines[("a", 1, "b", 0, "y")] == 6


class TestValidLayouts:
    # Dotted keys and inline tables at the top, before the first [table].
    TOP = """\
        title = "Two layers"
        layers.embed = { kind = "Embedding", num_embeddings = "V", embedding_dim = "d" }
        layers.out.kind = "Linear"
        layers.out.out_features = "V"
        edges = [
          { from = "embed", to = "out" },
          { from = "out", to = "embd" },
        ]
        """

    def test_inline_edges_and_dotted_keys_load(self, tmp_path):
        top = textwrap.dedent(self.TOP).replace(
            '  { from = "out", to = "embd" },\n', ""
        )
        path = write(tmp_path, HEAD.removeprefix('title = "Two layers"\n'), top)
        derivation = load_derivation(path)
        assert derivation.network.layer("out").in_features == dimension("d")

    def test_an_error_in_an_inline_edge_points_at_its_line(self, tmp_path):
        path = write(
            tmp_path,
            HEAD.removeprefix('title = "Two layers"\n'),
            textwrap.dedent(self.TOP),
        )
        assert error_of(path) == (
            "7: edges[1].to: no node 'embd' (did you mean "
            "'embed'?); nodes: embed, out"
        )

    def test_crlf_line_ends_and_a_byte_order_mark_are_accepted(self, tmp_path):
        text = (
            HEAD + '[layers.e]\nkind = "Embedding"\nnum_embeddings = "V"\n'
            'embedding_dim = "d"\ndescription_note = 1\n'
        )
        path = tmp_path / "crlf.toml"
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
        assert error_of(path).startswith(
            "14: layers.e.description_note: unknown key"
        )


class TestSizesWithValues:
    BODY = """
        [layers.embed]
        kind = "Embedding"
        num_embeddings = "V"
        embedding_dim = "d - 32"
        """

    def test_sizes_are_checked_with_the_paper_s_values(self, tmp_path):
        derivation = load_derivation(write(tmp_path, self.BODY))
        assert derivation.sizes[1].key == "layers.embed.embedding_dim"
        assert derivation.sizes[1].line == 14

    def test_an_override_that_makes_a_size_zero_is_refused(self, tmp_path):
        path = write(tmp_path, self.BODY)
        derivation = load_derivation(path)
        d = derivation.symbol_table["d"]
        with pytest.raises(DerivationError) as raised:
            evaluate(derivation, overrides={d: 32})
        assert str(raised.value) == (
            f"{path}:14: layers.embed.embedding_dim: d - 32 is 0 when d = 32; "
            "sizes are positive integers of at most 40 digits"
        )

    def test_the_cli_names_the_option_that_breaks_a_size(self, tmp_path, cli):
        path = write(tmp_path, self.BODY)
        status, out, err = cli("derive", str(path), "--set", "d=16")
        assert (status, out) == (2, "")
        assert err == (
            f"symcount: error: --set d=16: {path}:14: "
            "layers.embed.embedding_dim: d - 32 is -16 when d = 16; sizes "
            "are positive integers of at most 40 digits\n"
        )

    def test_a_value_loop_through_options_is_refused(self, cli):
        status, _, err = cli(
            "derive", "seq2seq", "--set", "n=d", "--set", "d=n"
        )
        assert status == 2
        assert err == (
            "symcount: error: --set n=d --set d=n: d: values refer to "
            "each other in a loop: d -> n -> d; a value may name other "
            "symbols, but not in a loop\n"
        )


class TestTiesAndClaims:
    BODY = """
        [layers.embed]
        kind = "Embedding"
        num_embeddings = "V"
        embedding_dim = "d"

        [layers.proj]
        kind = "Linear"
        in_features = "d"
        out_features = "d"

        [layers.out]
        kind = "Linear"
        in_features = "d"
        out_features = "V"

        [[edges]]
        from = "embed"
        to = "proj"

        [[edges]]
        from = "proj"
        to = "out"

        [[ties]]
        tensor = "out.bias"
        to = "proj.bias"
        """

    def test_a_tie_of_tensors_that_differ_only_with_biases_is_refused(
        self, tmp_path
    ):
        # Under the paper convention neither bias exists; under keras they do
        # and their shapes (V,) and (d,) differ.
        assert error_of(write(tmp_path, self.BODY)) == (
            "34: ties[0]: tie out.bias -> proj.bias: shapes (V) and (d) differ "
            "under the keras convention; tied tensors have one shape"
        )

    def test_a_tie_of_biases_counts_once_and_only_where_they_exist(
        self, tmp_path
    ):
        body = self.BODY.replace('out_features = "V"', 'out_features = "d"')
        derivation = load_derivation(write(tmp_path, body))
        d = dimension("d")
        paper = count_parameters(derivation.network, "paper").total
        keras = count_parameters(derivation.network, "keras").total
        assert (
            keras - paper == d
        )  # two bias vectors of size d, tied: one counted

    def test_a_claim_on_a_part_without_the_missing_value_is_accepted(
        self, tmp_path
    ):
        head = HEAD.replace(
            'V = { meaning = "vocabulary", value = 1000 }',
            'V = { meaning = "vocabulary" }',
        )
        body = self.BODY.replace("[[ties]]", "[[ties_unused]]").split(
            "[[ties_unused]]"
        )[0] + textwrap.dedent("""
            [[claims]]
            name = "projection"
            of = "node:proj"
            value = "4k"

            [[claims]]
            name = "total"
            value = "1M"
            """)
        path = write(tmp_path, body, head)
        assert error_of(path) == (
            "40: claims[1]: the count of total needs a value for V; give symbols.V a "
            "value, or claim a part that does not use it"
        )
