"""Tests the bottleneck block against torch.nn modules with torchvision's layout."""

from __future__ import annotations

import pytest
import torch
from torch_counts import assert_matches

from symcount.layers import Bottleneck

nn = torch.nn


def torchvision_bottleneck(inplanes, planes, downsample, groups=1, base_width=64):
    """torchvision's Bottleneck, written out of torch.nn parts (torchvision's
    wheels do not import beside this torch)."""
    width = int(planes * (base_width / 64.0)) * groups
    block = nn.Module()
    block.conv1 = nn.Conv2d(inplanes, width, 1, bias=False, device="meta")
    block.bn1 = nn.BatchNorm2d(width, device="meta")
    block.conv2 = nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False,
                            device="meta")
    block.bn2 = nn.BatchNorm2d(width, device="meta")
    block.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False, device="meta")
    block.bn3 = nn.BatchNorm2d(planes * 4, device="meta")
    if downsample:
        block.downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * 4, 1, bias=False, device="meta"),
            nn.BatchNorm2d(planes * 4, device="meta"))
    return block


@pytest.mark.parametrize(
    "inplanes,planes,downsample,groups,base_width",
    [(64, 64, True, 1, 64), (256, 64, False, 1, 64), (256, 128, True, 1, 64),
     (1024, 512, True, 1, 64), (256, 128, True, 32, 4), (256, 64, True, 1, 128)],
)
def test_matches_torchvision_layout(inplanes, planes, downsample, groups, base_width):
    module = torchvision_bottleneck(inplanes, planes, downsample, groups, base_width)
    layer = Bottleneck(inplanes, planes, downsample=downsample, groups=groups,
                       base_width=base_width)
    for convention in ("paper", "pytorch"):
        assert layer.count(convention) == sum(p.numel() for p in module.parameters())
    assert_matches(layer, module)
