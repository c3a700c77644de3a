"""Rewrite a chain of reshapes and transposes as at most one transpose between two reshapes.

A channel shuffle between two convolutions, as torch-mlir leaves it once the convolutions
are NHWC, is NHWC -> NCHW, a reshape splitting C into (groups, C / groups), the shuffle's
transpose, a reshape joining them, NCHW -> NHWC: three transposes where the data moves once:

    [N, H, W, C] -> reshape [N*H*W, g, C/g] -> transpose (0, 2, 1) -> reshape [N, H, W, C]

Any such chain (each value in it used once) is a permutation of "atoms": the axis pieces
that no reshape in the chain splits further. Following the atoms through the chain (a
transpose reorders the current axes' atom lists, a reshape regroups the flattened atoms,
splitting one where a new axis boundary falls inside it) gives the order in which the
output holds the input's atoms; atoms adjacent in both orders merge. The chain becomes
reshape (the input's atoms) -> transpose (that order) -> reshape (the output), leaving out
the parts that do nothing, when that has fewer transposes than the chain. On Ethos-U each
transpose is a pass over the tensor's bytes (ShuffleNetV2's shuffles: three to one).
"""

from __future__ import annotations

import math

from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects.tosa_helpers import defining_op, has_single_use, make_reshape, ranked_shape, transpose_perms
from tosaic.passes.base import PatternPass

_LAYOUT = ("tosa.reshape", "tosa.transpose")
# The highest-rank transpose the rewrite emits (Vela 5.2.0 runs TRANSPOSE up to rank 4 on
# every Ethos-U without decomposing it; a chain needing more atoms is left).
_MAX_RANK = 4


def compose(in_shape: list[int], steps: list[tuple[str, list[int]]]):
    """(atom sizes in input order, permutation) equal to applying `steps` (("transpose",
    perms) or ("reshape", shape)) to a tensor of `in_shape`; None if a reshape cuts an atom
    where its size does not divide."""
    sizes: dict[int, int] = {}
    input_order: list[int] = []
    dims: list[list[int]] = []
    for extent in in_shape:
        atoms = []
        if extent != 1:
            sizes[len(sizes)] = extent
            atoms.append(len(sizes) - 1)
            input_order.append(atoms[0])
        dims.append(atoms)
    for kind, arg in steps:
        if kind == "transpose":
            dims = [dims[p] for p in arg]
            continue
        flat = [a for d in dims for a in d]
        dims = []
        for extent in arg:
            atoms, product = [], 1
            while product < extent:
                if not flat:
                    return None
                atom = flat.pop(0)
                if product * sizes[atom] <= extent:
                    atoms.append(atom)
                    product *= sizes[atom]
                    continue
                major = extent // product
                if extent % product or sizes[atom] % major:
                    return None
                # Split the atom: its major part ends this axis, the rest starts the next.
                major_id, minor = len(sizes), len(sizes) + 1
                sizes[major_id] = major
                sizes[minor] = sizes[atom] // major
                at = input_order.index(atom)
                input_order[at:at + 1] = [major_id, minor]
                atoms.append(major_id)
                product *= major
                flat.insert(0, minor)
            if product != extent:
                return None
            dims.append(atoms)
        if flat:
            return None
    out_order = [a for d in dims for a in d]
    # Merge atoms adjacent in both orders.
    groups: list[list[int]] = []
    for atom in input_order:
        if groups and out_order.index(atom) == out_order.index(groups[-1][-1]) + 1:
            groups[-1].append(atom)
        else:
            groups.append([atom])
    group_sizes = [math.prod(sizes[a] for a in g) for g in groups]
    first = {g[0]: i for i, g in enumerate(groups)}
    perm = [first[a] for a in out_order if a in first]
    return group_sizes, perm


def _chain(end) -> list:
    """The reshapes and transposes ending at `end`, first to last, each result used once."""
    chain = [end]
    while True:
        producer = defining_op(chain[0].operands[0])
        if producer is None or producer.name not in _LAYOUT or not has_single_use(producer.results[0]):
            return chain
        chain.insert(0, producer)


def _fold(op, rewriter) -> bool:
    op = op.operation
    users = list(op.results[0].uses)
    if len(users) == 1 and users[0].owner.name in _LAYOUT:
        return True  # not the end of its chain
    chain = _chain(op)
    transposes = sum(1 for o in chain if o.name == "tosa.transpose")
    if transposes < 2:
        return True
    source = chain[0].operands[0]
    in_shape, out_shape = ranked_shape(source), ranked_shape(op.results[0])
    if in_shape is None or out_shape is None or any(d < 0 for d in in_shape + out_shape):
        return True
    steps = [("transpose", transpose_perms(o)) if o.name == "tosa.transpose" else ("reshape", ranked_shape(o.results[0]))
             for o in chain]
    plan = compose(in_shape, steps)
    if plan is None:
        return True
    atom_sizes, perm = plan
    identity = perm == sorted(perm)
    if not identity and len(perm) > _MAX_RANK:
        return True
    with rewriter.ip, op.location:
        value = source
        if not identity:
            if ranked_shape(value) != atom_sizes:
                value = make_reshape(value, atom_sizes)
            moved = [atom_sizes[p] for p in perm]
            value = tosa.transpose(ir.RankedTensorType.get(moved, ir.RankedTensorType(value.type).element_type),
                                   value, perm)
        if ranked_shape(value) != out_shape:
            value = make_reshape(value, out_shape)
    rewriter.replace_op(op, [value])
    return False


class FoldLayoutChains(PatternPass):
    name = "tosaic-fold-layout-chains"
    summary = ("Rewrite a chain of reshapes and transposes (a channel shuffle between NHWC convolutions) as "
               "one transpose between two reshapes, when that has fewer transposes")

    def patterns(self):
        return [("tosa.reshape", _fold, 1), ("tosa.transpose", _fold, 1)]
