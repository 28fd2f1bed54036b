"""Tests what the loader accepts for the zoo: size arrays and ``[verify]`` tables."""

from __future__ import annotations

import pytest

from symcount.derivation import load_derivation
from symcount.errors import DerivationError

HEAD = """
title = "t"
[citation]
authors = ["a"]
year = 2024
[symbols]
c = { meaning = "channels", value = 8 }
"""


def write(tmp_path, text: str):
    path = tmp_path / "net.toml"
    path.write_text(HEAD + text)
    return path


def test_kernel_size_array(tmp_path):
    path = write(tmp_path, '[layers.conv]\nkind = "Conv2d"\nin_channels = 3\n'
                           'out_channels = "c"\nkernel_size = [3, 5]\n')
    derivation = load_derivation(path)
    layer = derivation.network.layer("conv")
    assert layer.kernel_size == (3, 5)
    assert layer.count() == 3 * 3 * 5 * derivation.symbol_table["c"]


def test_kernel_size_array_of_wrong_length(tmp_path):
    path = write(tmp_path, '[layers.conv]\nkind = "Conv2d"\nin_channels = 3\n'
                           'out_channels = "c"\nkernel_size = [3, 3, 3]\n')
    with pytest.raises(DerivationError, match="kernel_size has 3 sizes"):
        load_derivation(path)


def test_verify_table_is_read(tmp_path):
    path = write(tmp_path, '[layers.fc]\nkind = "Linear"\nin_features = "c"\n'
                           'out_features = 2\n[verify]\nclass = "BertModel"\n'
                           '[verify.config]\nhidden_size = "2*c"\n'
                           'sizes = [1, "c"]\nflag = true\n'
                           '[verify.parts]\nfc = "pooler.*"\n')
    table = load_derivation(path).verify
    assert table["class"] == "BertModel"
    c = load_derivation(path).symbol_table["c"]
    assert table["config"] == {"hidden_size": 2 * c, "sizes": [1, c], "flag": True}
    assert table["parts"] == {"fc": ("pooler.*",)}


@pytest.mark.parametrize(
    "verify,message",
    [('[verify]\nclasss = "X"\n', "unknown key"),
     ('[verify]\nclass = "X"\n', "expected 'class' and 'config' together"),
     ('[verify]\nclass = "os.system"\n[verify.config]\n', "is not a class name"),
     ('[verify]\nclass = "X"\n[verify.config]\na = "__import__(1)"\n',
      "not allowed"),
     ('[verify]\nclass = "X"\n[verify.config]\n[verify.parts]\nnope = "a.*"\n',
      "no node 'nope'")],
)
def test_verify_table_errors_name_the_key(tmp_path, verify, message):
    path = write(tmp_path, '[layers.fc]\nkind = "Linear"\nin_features = "c"\n'
                           'out_features = 2\n' + verify)
    with pytest.raises(DerivationError, match=message):
        load_derivation(path)
