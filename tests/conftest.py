"""Shared fixtures: the seq2seq derivation and a helper to run the CLI."""

from __future__ import annotations

import json

import pytest

from symcount.cli import main
from symcount.derivation import load_derivation


@pytest.fixture(scope="session")
def seq2seq():
    return load_derivation("seq2seq")


@pytest.fixture
def cli(capsys):
    """Runs ``symcount ARGS`` in-process; returns (status, stdout, stderr)."""

    def run(*args: str, as_json: bool = False):
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, json.loads(out) if as_json else out, err

    return run


def pytest_addoption(parser):
    parser.addoption("--overwrite-golden", action="store_true",
                     help="rewrite the golden files in tests/golden/ from the output")
