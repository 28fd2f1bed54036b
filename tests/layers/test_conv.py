"""Tests Conv1d, Conv2d, ConvTranspose2d and Flatten against torch.nn."""

from __future__ import annotations

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_counts import assert_matches

from symcount.errors import InputError
from symcount.layers import Conv1d, Conv2d, ConvTranspose2d, Flatten
from symcount.symbols import dimension

KINDS = {Conv1d: torch.nn.Conv1d, Conv2d: torch.nn.Conv2d,
         ConvTranspose2d: torch.nn.ConvTranspose2d}


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(list(KINDS)),
    groups=st.integers(1, 4),
    in_per_group=st.integers(1, 6),
    out_per_group=st.integers(1, 6),
    kernel=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    bias=st.booleans(),
    stride=st.integers(1, 3),
)
def test_matches_torch_tensor_by_tensor(
    kind, groups, in_per_group, out_per_group, kernel, bias, stride
):
    kernel = kernel[:1] if kind is Conv1d else kernel
    args = (groups * in_per_group, groups * out_per_group, kernel)
    module = KINDS[kind](*args, stride=stride, groups=groups, bias=bias,
                         device="meta")
    assert_matches(kind(*args, stride=stride, groups=groups, bias=bias), module)


def test_depthwise_is_groups_equal_to_channels():
    c = dimension("c")
    layer = Conv2d(c, c, 3, groups=c)
    assert layer.count("pytorch") == 10 * c
    module = torch.nn.Conv2d(32, 32, 3, groups=32, device="meta")
    assert layer.count("pytorch").subs(c, 32) == sum(p.numel() for p in
                                                    module.parameters())


@pytest.mark.parametrize(
    "convention,bias", [("paper", 0), ("keras", 1), ("pytorch", 1)]
)
def test_bias_follows_convention(convention, bias):
    c = dimension("c")
    assert Conv2d(c, 2 * c, 3).count(convention) == sympy.expand(
        18 * c**2 + bias * 2 * c)


def test_symbolic_formula_matches_torch():
    c, k = dimension("c"), dimension("k")
    formula = ConvTranspose2d(c, 2 * c, k, groups=2).count("pytorch")
    module = torch.nn.ConvTranspose2d(6, 12, 5, groups=2, device="meta")
    assert formula.subs({c: 6, k: 5}) == sum(p.numel() for p in module.parameters())


def test_channels_must_divide_by_groups():
    with pytest.raises(InputError, match="in_channels=5 is not divisible by groups=2"):
        Conv2d(5, 4, 3, groups=2)


def test_kernel_tuple_length_is_checked():
    with pytest.raises(InputError, match="kernel_size has 3 sizes"):
        Conv2d(3, 4, (3, 3, 3))


def test_negative_padding_is_refused():
    with pytest.raises(InputError, match="padding"):
        Conv1d(3, 4, 3, padding=-1)


def test_flatten_reads_the_pooled_map_as_one_vector():
    layer = Flatten(None, 6, 6).with_input_dim(sympy.Integer(256))
    module = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d((6, 6)),
                                 torch.nn.Flatten())
    out = module(torch.zeros(1, 256, 13, 13))
    assert layer.output_dim == out.shape[1]
    assert layer.count() == 0
