"""Tests the Network: input inference, state edges, cycles, ties and blocks."""

from __future__ import annotations

import pytest

from symcount import LSTM, Embedding, Linear, Network
from symcount.errors import CycleError, InputError, ShapeMismatchError
from symcount.symbols import L, V_tgt, d, n


def decoder() -> Network:
    net = Network("decoder")
    net.add("embed", Embedding(V_tgt, d))
    net.add("lstm", LSTM(None, n, L))
    net.add("softmax", Linear(None, V_tgt))
    net.connect("embed", "lstm")
    net.connect("lstm", "softmax")
    return net


class TestLayers:
    def test_input_size_is_inferred_from_predecessor(self):
        layers = decoder().layers()
        assert layers["lstm"].input_size == d
        assert layers["softmax"].in_features == n

    def test_bidirectional_output_doubles(self):
        net = Network()
        net.add("rnn", LSTM(d, n, bidirectional=True))
        net.add("out", Linear(None, V_tgt))
        net.connect("rnn", "out")
        assert net.layer("out").in_features == 2 * n

    def test_projected_output_is_proj_size(self):
        net = Network()
        net.add("rnn", LSTM(d, 1000, proj_size=256))
        net.add("out", Linear(None, V_tgt))
        net.connect("rnn", "out")
        assert net.layer("out").in_features == 256

    def test_stated_size_that_disagrees_names_both_nodes(self):
        net = Network()
        net.add("embed", Embedding(V_tgt, d))
        net.add("lstm", LSTM(n, n))
        net.connect("embed", "lstm")
        with pytest.raises(
            ShapeMismatchError,
            match="'lstm' states input_size=n but "
            "its input from node 'embed' has size d",
        ):
            net.layers()

    def test_several_inputs_need_a_stated_size(self):
        net = Network()
        net.add("a", Embedding(V_tgt, d))
        net.add("b", Embedding(V_tgt, n))
        net.add("join", Linear(None, d))
        net.connect("a", "join")
        net.connect("b", "join")
        with pytest.raises(ShapeMismatchError, match="several inputs"):
            net.layers()

    def test_several_inputs_may_be_joined(self):
        net = Network()
        net.add("a", Embedding(V_tgt, d))
        net.add("b", Embedding(V_tgt, n))
        net.add("join", Linear(d + n, d))
        net.connect("a", "join")
        net.connect("b", "join")
        assert net.layer("join").in_features == d + n

    def test_state_edge_needs_equal_hidden_sizes(self):
        net = Network()
        net.add("enc", LSTM(d, n))
        net.add("dec", LSTM(d, d))
        net.connect("enc", "dec", state=True)
        with pytest.raises(ShapeMismatchError, match="hidden_size n of 'enc' differs"):
            net.layers()


class TestConnect:
    def test_cycle_is_rejected_with_its_path(self):
        net = decoder()
        with pytest.raises(
            CycleError,
            match="softmax -> embed would close the cycle "
            "embed -> lstm -> softmax -> embed",
        ):
            net.connect("softmax", "embed")

    def test_self_loop_is_rejected(self):
        with pytest.raises(CycleError):
            decoder().connect("lstm", "lstm")

    def test_missing_node_is_named(self):
        with pytest.raises(InputError, match="no node 'nope'.*nodes: embed, lstm"):
            decoder().connect("embed", "nope")


class TestAdd:
    def test_duplicate_name_is_rejected(self):
        with pytest.raises(InputError, match="already in network"):
            decoder().add("lstm", LSTM(d, n))

    def test_non_layer_is_rejected(self):
        with pytest.raises(InputError, match="is not a symcount layer"):
            Network().add("x", 42)


class TestRepeat:
    def test_block_in_another_block_is_rejected(self):
        net = decoder()
        net.repeat(["lstm"], 2, name="first")
        with pytest.raises(InputError, match="in another block"):
            net.repeat(["lstm"], L, name="second")

    def test_repeated_block_must_keep_its_size(self):
        net = Network()
        net.add("a", Linear(d, n))
        net.add("b", Linear(None, d))
        net.add("c", Linear(None, n))
        net.connect("a", "b")
        net.connect("b", "c")
        net.repeat(["b"], L, name="block")
        with pytest.raises(
            ShapeMismatchError,
            match="block 'block' repeats, but its "
            "input 'b' takes size n and its output 'b' gives d",
        ):
            net.layers()

    def test_times_must_be_positive(self):
        with pytest.raises(InputError, match="times=0"):
            decoder().repeat(["lstm"], 0, name="none")
