"""Tests LayerNorm, RMSNorm, BatchNorm1d/2d and GroupNorm against torch.nn."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_counts import assert_matches

from symcount.errors import InputError
from symcount.layers import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from symcount.symbols import d_model

shapes = st.lists(st.integers(1, 64), min_size=1, max_size=3)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, affine=st.booleans(), bias=st.booleans())
def test_layer_norm_matches_torch(shape, affine, bias):
    module = torch.nn.LayerNorm(shape, elementwise_affine=affine, bias=bias,
                                device="meta")
    layer = LayerNorm(tuple(shape), elementwise_affine=affine, bias=bias)
    assert_matches(layer, module)


@settings(max_examples=30, deadline=None)
@given(shape=shapes, affine=st.booleans())
def test_rms_norm_matches_torch(shape, affine):
    module = torch.nn.RMSNorm(shape, elementwise_affine=affine, device="meta")
    assert_matches(RMSNorm(tuple(shape), elementwise_affine=affine), module)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from([BatchNorm1d, BatchNorm2d]), features=st.integers(1, 4096),
       affine=st.booleans(), track=st.booleans())
def test_batch_norm_matches_torch_with_buffers_apart(kind, features, affine, track):
    module = getattr(torch.nn, kind.kind)(features, affine=affine,
                                          track_running_stats=track, device="meta")
    assert_matches(kind(features, affine=affine, track_running_stats=track), module)


@settings(max_examples=40, deadline=None)
@given(groups=st.integers(1, 8), per_group=st.integers(1, 16), affine=st.booleans(),
       bias=st.booleans())
def test_group_norm_matches_torch(groups, per_group, affine, bias):
    module = torch.nn.GroupNorm(groups, groups * per_group, affine=affine, bias=bias,
                                device="meta")
    layer = GroupNorm(groups, groups * per_group, affine=affine, bias=bias)
    assert_matches(layer, module)


@pytest.mark.parametrize(
    "convention,expected", [("paper", d_model), ("keras", 2 * d_model),
                            ("pytorch", 2 * d_model)]
)
def test_layer_norm_shift_follows_convention(convention, expected):
    assert LayerNorm(d_model).count(convention) == expected


def test_batch_norm_affine_in_every_convention():
    assert {BatchNorm2d(64).count(c) for c in ("paper", "keras", "pytorch")} == {128}


def test_group_norm_channels_must_divide_by_groups():
    with pytest.raises(InputError, match="not divisible by num_groups=3"):
        GroupNorm(3, 8)
