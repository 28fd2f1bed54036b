"""Tests the totals apart from N: buffers, and parameters active per token."""

from __future__ import annotations

import sympy
import torch

from symcount import Network, count_parameters
from symcount.layers import BatchNorm1d, Embedding, Linear, MixtureOfExperts
from symcount.symbols import dimension


def test_active_parameters_of_a_network_with_experts():
    d, f, E, V = (dimension(s) for s in ("d", "f", "E", "V"))
    net = Network("moe")
    net.add("embed", Embedding(V, d))
    net.add("experts", MixtureOfExperts(None, f, E, 2, bias=False))
    net.add("head", Linear(None, V, bias=False))
    net.connect("embed", "experts")
    net.connect("experts", "head")
    net.tie("head.weight", "embed.weight")
    net.repeat(["experts"], dimension("L"), name="layers")
    count = count_parameters(net)
    L = dimension("L")
    assert count.total == sympy.expand(V * d + L * (E * d + 2 * E * d * f))
    assert count.active == sympy.expand(V * d + L * (E * d + 4 * d * f))
    numbers = count.subs({L: 1, E: 4, d: 4, f: 8, V: 10})
    embedding, router, expert = 10 * 4, 4 * 4, 2 * 4 * 8
    assert numbers.value() == embedding + router + 4 * expert
    assert numbers.active == embedding + router + 2 * expert


def test_buffers_are_counted_apart_from_parameters():
    net = Network("bn")
    net.add("fc", Linear(32, 64))
    net.add("bn", BatchNorm1d(None))
    net.connect("fc", "bn")
    module = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.BatchNorm1d(64))
    count = count_parameters(net, "pytorch")
    assert count.total == sum(p.numel() for p in module.parameters())
    assert count.buffers == sum(b.numel() for b in module.buffers())
