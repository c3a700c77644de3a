"""Recurrent cells as the ops they are, before quantization.

`torch.export` keeps `aten.gru_cell` and `aten.lstm_cell` (nn.GRUCell / nn.LSTMCell) as
single ops, which no quantizer annotation covers: the quantized program would leave the
whole cell in floating point. `decompose_recurrent_cells` rewrites each cell as its
math (two linear layers, slices of the gates, sigmoid, tanh, mul, add, sub), each of
which is annotated and lowered as usual:

    GRU:  r = s(i_r + h_r), z = s(i_z + h_z), n = tanh(i_n + r h_n), h' = n + z (h - n)
    LSTM: i, f, o = s(.), g = tanh(.) of i_* + h_*, c' = f c + i g, h' = o tanh(c')

with i_* = x W_ih^T + b_ih and h_* = h W_hh^T + b_hh split into the gates in PyTorch's
order (GRU: r, z, n; LSTM: i, f, g, o).
"""

from __future__ import annotations

import operator

import torch
from torch.fx import GraphModule

from tosaic.quantization.decompositions import fx_call

aten = torch.ops.aten


def decompose_recurrent_cells(gm: GraphModule) -> int:
    """Rewrite every `aten.gru_cell` / `aten.lstm_cell` in `gm`; returns how many."""
    rewritten = 0
    for n in list(gm.graph.nodes):
        if n.op != "call_function" or n.target not in (aten.gru_cell.default, aten.lstm_cell.default):
            continue
        x = n.args[0]

        def call(op, *args):
            return fx_call(gm, n, op, *args)

        with gm.graph.inserting_before(n):
            if n.target == aten.gru_cell.default:
                _, h, w_ih, w_hh, b_ih, b_hh = (list(n.args) + [None, None])[:6]
                hidden = w_hh.meta["val"].shape[1]
                dim = x.meta["val"].dim() - 1
                gi = call(aten.linear.default, x, w_ih, b_ih)
                gh = call(aten.linear.default, h, w_hh, b_hh)

                def gate(t, k):
                    return call(aten.slice.Tensor, t, dim, k * hidden, (k + 1) * hidden)

                r = call(aten.sigmoid.default, call(aten.add.Tensor, gate(gi, 0), gate(gh, 0)))
                z = call(aten.sigmoid.default, call(aten.add.Tensor, gate(gi, 1), gate(gh, 1)))
                new = call(aten.tanh.default, call(aten.add.Tensor, gate(gi, 2), call(aten.mul.Tensor, r, gate(gh, 2))))
                out = call(aten.add.Tensor, new, call(aten.mul.Tensor, z, call(aten.sub.Tensor, h, new)))
                n.replace_all_uses_with(out)
            else:
                _, (h, c), w_ih, w_hh, b_ih, b_hh = (list(n.args) + [None, None])[:6]
                hidden = w_hh.meta["val"].shape[1]
                dim = x.meta["val"].dim() - 1
                gates = call(aten.add.Tensor, call(aten.linear.default, x, w_ih, b_ih),
                             call(aten.linear.default, h, w_hh, b_hh))

                def gate(k, op):
                    return call(op, call(aten.slice.Tensor, gates, dim, k * hidden, (k + 1) * hidden))

                i, f = gate(0, aten.sigmoid.default), gate(1, aten.sigmoid.default)
                g, o = gate(2, aten.tanh.default), gate(3, aten.sigmoid.default)
                c_new = call(aten.add.Tensor, call(aten.mul.Tensor, f, c), call(aten.mul.Tensor, i, g))
                h_new = call(aten.mul.Tensor, o, call(aten.tanh.default, c_new))
                for user in list(n.users):
                    if user.op != "call_function" or user.target is not operator.getitem:
                        raise NotImplementedError("lstm_cell's result used other than by indexing")
                    user.replace_all_uses_with(h_new if user.args[1] == 0 else c_new)
                    gm.graph.erase_node(user)
        gm.graph.erase_node(n)
        rewritten += 1
    if rewritten:
        gm.graph.lint()
        gm.recompile()
    return rewritten
