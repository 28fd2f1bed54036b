"""Helpers for the layer tests: what torch.nn itself names and counts."""

from __future__ import annotations

import sympy
import torch

from symcount.layers import Layer


def torch_tensors(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    """Parameter name to shape, as torch.nn lists them (shared tensors once)."""
    return {name: tuple(p.shape) for name, p in module.named_parameters()}


def torch_buffers(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(b.shape) for name, b in module.named_buffers()}


def ours(tensors) -> dict[str, tuple[int, ...]]:
    """Our tensors as name to shape, every size a plain int."""
    return {t.name: tuple(int(s) for s in t.shape) for t in tensors}


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def assert_matches(layer: Layer, module: torch.nn.Module) -> None:
    """Same tensors, in the same order, with the same shapes, and the same count."""
    expected = torch_tensors(module)
    assert ours(layer.tensors("pytorch")) == expected
    assert [t.name for t in layer.tensors("pytorch")] == list(expected)
    assert layer.count("pytorch") == sympy.Integer(numel(module))
    assert ours(layer.buffers("pytorch")) == torch_buffers(module)
