"""Tests the Opaque layer kind: tensors kept by shape, from code and from files."""

from __future__ import annotations

import pytest
import torch
from torch_counts import assert_matches

from symcount.derivation import load_derivation
from symcount.errors import DerivationError, InputError, ShapeMismatchError
from symcount.graph import Network
from symcount.layers import Linear, Opaque
from symcount.symbols import dimension


def test_bilinear_tensors_as_torch_lists_them():
    module = torch.nn.Bilinear(5, 7, 3, device="meta")
    layer = Opaque(("weight", "bias"), ((3, 5, 7), (3,)), "Bilinear")
    assert_matches(layer, module)
    assert [t.role for t in layer.tensors()] == ["weight", "bias"]


def test_sizes_may_be_symbols_and_a_scalar_has_no_sizes():
    d = dimension("d")
    layer = Opaque(("mix", "scale"), ((d, 2 * d), ()))
    assert layer.count() == 2 * d**2 + 1


@pytest.mark.parametrize(
    "names, shapes, message",
    [
        (("weight",), ((3,), (4,)), "1 names and 2 shapes"),
        ((), (), "at least one tensor"),
        (("weight", "weight"), ((3,), (4,)), "names repeat"),
        (("a b",), ((3,),), "is not accepted"),
        (("w",), ((0,),), "not a positive integer"),
        (("w",), (3,), "not a list of sizes"),
    ],
)
def test_malformed_tensors_are_refused(names, shapes, message):
    with pytest.raises(InputError, match=message):
        Opaque(names, shapes)


def test_nothing_can_infer_its_size_from_an_opaque_node():
    network = Network()
    network.add("odd", Opaque(("w",), ((4, 4),)))
    network.add("next", Linear(None, 3))
    network.connect("odd", "next")
    with pytest.raises(ShapeMismatchError, match="output size is unknown"):
        network.layers()


FILE = """
title = "t"
[citation]
authors = ["a"]
year = 2024
[symbols]
d = {{ meaning = "width", value = 8 }}
[layers.odd]
kind = "Opaque"
{fields}
"""


def test_a_derivation_file_declares_one(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(
        FILE.format(
            fields='names = ["weight", "gain.scale"]\n'
            'shapes = [["d", 3], []]\nmodule = "Gate"'
        )
    )
    derivation = load_derivation(path)
    layer = derivation.network.layer("odd")
    assert layer.module == "Gate" and layer.count() == 3 * dimension("d") + 1


@pytest.mark.parametrize(
    "fields, key",
    [
        ('names = "weight"\nshapes = [[3]]', "layers.odd.names"),
        ("names = [3]\nshapes = [[3]]", "layers.odd.names[0]"),
        ('names = ["w"]\nshapes = [3]', "layers.odd.shapes[0]"),
        ('names = ["w"]\nshapes = [["e"]]', "layers.odd.shapes[0][0]"),
        ('names = ["w"]\nshapes = [[3]]\nmodule = 4', "layers.odd.module"),
    ],
)
def test_a_file_with_bad_tensors_names_the_key(tmp_path, fields, key):
    path = tmp_path / "odd.toml"
    path.write_text(FILE.format(fields=fields))
    with pytest.raises(DerivationError) as caught:
        load_derivation(path)
    assert f": {key}: " in str(caught.value)
