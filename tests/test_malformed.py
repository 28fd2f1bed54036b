"""Tests that each malformed derivation in tests/malformed/ fails with its one line.

Every file starts with ``# error: {file}:LINE: KEY: MESSAGE``, the exact error the
command line must print for it (``{file}`` stands for the file's path). The files
are small variations of one valid encoder-decoder derivation, one fault each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symcount.derivation import load_derivation
from symcount.errors import DerivationError

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.toml"))


def expected_error(path: Path) -> str:
    header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert header.startswith("# error: {file}:"), f"{path.name}: bad header"
    return header.removeprefix("# error: ").replace("{file}", str(path))


def test_corpus_has_at_least_forty_files():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_each_file_gives_its_one_line_error(cli, path):
    status, out, err = cli("derive", str(path))

    assert status == 2
    assert out == ""
    assert err == f"symcount: error: {expected_error(path)}\n"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_no_file_yields_a_count(cli, path):
    for args in (
        ["derive", str(path), "--json"],
        ["check", str(path)],
        ["derive", str(path), "--convention", "pytorch"],
        ["solve", str(path), "--target", "1M", "--for", "d"],
    ):
        status, out, err = cli(*args)
        assert (status, out) == (2, ""), args
        assert err.count("\n") == 1 and "Traceback" not in err

    with pytest.raises(DerivationError) as raised:
        load_derivation(path)
    assert str(raised.value) == expected_error(path)


def test_debug_shows_the_traceback(cli):
    path = CORPUS[0]
    status, _, err = cli("--debug", "derive", str(path))

    assert status == 2
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith(f"symcount: error: {expected_error(path)}\n")
