"""Tests the command line as a user runs it: derive, solve, check, list, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from symcount.derivation import catalogue_dir


class TestDerive:
    @pytest.mark.parametrize(
        "options,total",
        [
            ((), 384_000_000),
            (("--convention", "pytorch"), 384_144_000),
            (("--convention", "keras"), 384_112_000),
            (("--set", "L=2"), 352_000_000),
            (("--set", "n=d", "--set", "d=500"), 320_000 * 500 + 64 * 500**2),
        ],
    )
    def test_totals(self, cli, options, total):
        status, document, _ = cli("derive", "seq2seq", *options, "--json", as_json=True)
        assert status == 0
        assert document["total"]["value"] == total

    def test_json_shape(self, cli):
        _, document, _ = cli("derive", "seq2seq", "--json", as_json=True)
        assert document["name"] == "seq2seq"
        assert document["convention"] == "paper"
        assert document["symbols"]["V_src"] == {
            "meaning": "source vocabulary size (words)",
            "value": 160000,
        }
        assert document["total"]["expression"] == (
            "V_src*d + V_tgt*d + n**2*(16*L - 8) + n*(V_tgt + 8*d)"
        )
        assert document["total"]["latex"].startswith("V_{src} d")
        assert [p["name"] for p in document["parts"]] == [
            "embed_src",
            "encoder",
            "embed_tgt",
            "decoder",
            "softmax",
        ]
        assert document["groups"]["encoder"]["value"] == 192_000_000
        assert document["tags"]["recurrent"]["value"] == 64_000_000
        assert [
            (c["name"], c["stated"], c["derived"], c["holds"])
            for c in document["claims"]
        ] == [
            ("total", 384_000_000, 384_000_000, True),
            ("recurrent", 64_000_000, 64_000_000, True),
            ("encoder LSTM", 32_000_000, 32_000_000, True),
            ("decoder LSTM", 32_000_000, 32_000_000, True),
        ]

    def test_table(self, cli):
        status, out, _ = cli("derive", "seq2seq")
        assert status == 0
        row = "softmax    Linear     V_tgt*n                  80,000,000   20.8%"
        assert row in out
        assert "  = 384,000,000" in out


class TestSolve:
    @pytest.mark.parametrize("target", ["384M", "0.384B", "384e6", "384000000"])
    def test_d_is_1000(self, cli, target):
        status, document, _ = cli(
            "solve", "seq2seq", "--target", target, "--for", "d", "--json", as_json=True
        )
        assert status == 0
        assert document["solutions"] == [1000] and document["exact"]

    def test_tied(self, cli):
        _, document, _ = cli(
            "solve",
            "seq2seq",
            "--target",
            "384M",
            "--for",
            "d",
            "--set",
            "n=d",
            "--json",
            as_json=True,
        )
        assert document["solutions"] == [1000]

    def test_no_exact_solution_says_so(self, cli):
        status, out, _ = cli("solve", "seq2seq", "--target", "385M", "--for", "d")
        assert status == 0
        assert "no positive integer d gives exactly 385,000,000" in out
        # 248000 d + 136M: d = 1004 gives 384,992,000, d = 1005 gives 385,240,000.
        assert "d = 1004: 384,992,000 (-8,000)" in out
        assert "d = 1005: 385,240,000 (+240,000)" in out


def test_check_passes_on_seq2seq(cli):
    status, out, _ = cli("check", "seq2seq")
    assert status == 0
    assert out.count("holds") == 4


def test_check_fails_when_a_claim_fails(cli, tmp_path):
    original = catalogue_dir() / "seq2seq.toml"
    text = original.read_text().replace('"384M"', '"380M"')
    path = tmp_path / "wrong.toml"
    path.write_text(text)
    status, out, _ = cli("check", str(path))
    assert status == 1
    assert "fails (gap +4,000,000)" in out


def test_list(cli):
    status, out, _ = cli("list")
    assert status == 0
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in out.splitlines()}
    assert lines["seq2seq"] == (
        "Sequence to Sequence Learning with Neural Networks (2014)"
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (("derive", "nope"), "unknown derivation 'nope'"),
        (("derive", "seq2seq", "--set", "d=-5"), "--set d: d must be a positive"),
        (("derive", "seq2seq", "--set", "d=abc"), "--set d: unknown symbol 'abc'"),
        (("derive", "seq2seq", "--set", "q=5"), "--set 'q': unknown symbol; declared"),
        (("derive", "seq2seq", "--set", "d"), "expected SYM=VALUE"),
        (("derive", "seq2seq", "--set", "n=d", "--set", "d=n"), "in a loop"),
        (("derive", "seq2seq", "--set", "d=n/3"), "sizes are positive integers"),
        (("derive", "missing/file.toml"), "missing/file.toml: no such derivation file"),
        (
            ("solve", "seq2seq", "--target", "-1", "--for", "d"),
            "--target: '-1' is not a positive",
        ),
        (("solve", "seq2seq", "--target", "9^9^9^9", "--for", "d"), "exponent"),
        (("solve", "seq2seq", "--target", "1M", "--for", "x"), "--for x: unknown"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, args, message):
    status, out, err = cli(*args)
    assert status == 2
    assert out == ""
    assert err.startswith("symcount: error: ") and err.count("\n") == 1
    assert message in err


def test_hostile_set_runs_no_code(tmp_path):
    hostile = 'd=__import__("os").system("touch pwned")'
    result = subprocess.run(
        [sys.executable, "-m", "symcount", "derive", "seq2seq", "--set", hostile],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--set d: calling" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pwned").exists()


class TestSolveBudget:
    def test_max_d_within_384m(self, cli):
        status, document, _ = cli(
            "solve", "seq2seq", "--max", "d", "--budget", "384M", "--json", as_json=True
        )
        assert status == 0
        assert (document["value"], document["total"]) == (1000, 384_000_000)

    def test_multiple_of_64(self, cli):
        status, out, _ = cli(
            "solve", "seq2seq", "--max", "d", "--budget", "384M", "--multiple-of", "64"
        )
        assert "largest d (multiple of 64): d = 960, total = 374,080,000" in out

    def test_two_unknowns(self, cli):
        status, document, _ = cli(
            "solve",
            "seq2seq",
            "--target",
            "384M",
            "--target",
            "tag:recurrent=64M",
            "--for",
            "d",
            "--for",
            "n",
            "--json",
            as_json=True,
        )
        assert document["solutions"] == [{"d": 1000, "n": 1000}]

    def test_rounding_interval_is_reported(self, cli):
        _, document, _ = cli(
            "solve", "seq2seq", "--target", "384M", "--for", "d", "--json", as_json=True
        )
        assert document["rounding"] == 1_000_000
        assert document["ranges"] == [[998, 1002]]

    @pytest.mark.parametrize(
        "args,message",
        [
            (("--max", "d"), "--max SYM takes --budget B"),
            (("--target", "1M"), "give one --target per --for"),
            (("--max", "d", "--budget", "1M", "--multiple-of", "0"), "--multiple-of 0"),
        ],
    )
    def test_bad_combinations(self, cli, args, message):
        status, _, err = cli("solve", "seq2seq", *args)
        assert status == 2 and message in err
