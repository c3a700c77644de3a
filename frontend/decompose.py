"""Decompose an ExportedProgram node by node, in its own FX graph.

`ExportedProgram.run_decompositions(table)` re-traces the whole program through AOT
autograd (fake tensors, functionalization) to rewrite a few of its ops: on a quantized
MobileNet most of the compile time, for a graph whose Q/DQ, activation and add nodes it
gives back unchanged. The program is already functional ATen, so only the nodes it would
rewrite need tracing: those whose op is in the table, and the CompositeImplicitAutograd
ops export may not keep (they alias). Each of those is traced alone (make_fx on its
inputs' fake values, with the same table and the same kept-CIA overrides as
run_decompositions) and its subgraph spliced in place, carrying the node's source
metadata (stack trace, module stack) so locations stay the user's code.

Anything this does not handle (a node without fake values, a multi-output op, a
decomposition that makes constants, higher-order ops) falls back to run_decompositions.
"""

from __future__ import annotations

import copy
import dataclasses

import torch
from torch.export import ExportedProgram


class _Fallback(Exception):
    """The program needs the whole-program re-trace."""


def _is_cia(op) -> bool:
    return torch._C._dispatch_has_kernel_for_dispatch_key(op.name(), "CompositeImplicitAutograd")


def nodes_to_decompose(program: ExportedProgram, table: dict, kept_cia: set) -> list[torch.fx.Node]:
    """The nodes run_decompositions(table) rewrites: their op is in the table, or is a
    CompositeImplicitAutograd op export does not keep (`kept_cia`: functional, not aliasing)."""
    nodes = []
    for node in program.graph.nodes:
        if node.op != "call_function":
            continue
        if isinstance(node.target, torch._ops.HigherOrderOperator):
            raise _Fallback(f"higher-order op {node.target}")
        op = node.target
        if isinstance(op, torch._ops.OpOverload) and (op in table or (_is_cia(op) and op not in kept_cia)):
            if op._schema.is_mutable:  # an in-place op needs functionalization: the whole program's
                raise _Fallback(f"{op} mutates its input")
            nodes.append(node)
    return nodes


def _trace_node(node: torch.fx.Node, python_table: dict) -> torch.fx.GraphModule:
    """The node's decomposition, traced alone (within the kept-CIA overrides)."""
    from torch.fx.experimental.proxy_tensor import make_fx

    inputs = [arg for arg in node.all_input_nodes]
    values = []
    for arg in inputs:
        value = arg.meta.get("val")
        if not isinstance(value, torch.Tensor):
            raise _Fallback(f"{arg} has no tensor value")
        values.append(value)
    if not isinstance(node.meta.get("val"), torch.Tensor):
        raise _Fallback(f"{node} does not give one tensor")
    position = {arg: i for i, arg in enumerate(inputs)}

    def call(*tensors):
        args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: tensors[position[n]])
        return node.target(*args, **kwargs)

    from torch._dispatch.python import enable_python_dispatcher

    # The kept-CIA overrides are Python kernels: only the Python dispatcher sees them
    # (run_decompositions' aot_export enables it too).
    with enable_python_dispatcher():
        return make_fx(call, decomposition_table=python_table, tracing_mode="fake")(*values)


# The metadata of the decomposed node its replacements carry (where it came from).
_SOURCE_META = ("stack_trace", "nn_module_stack", "source_fn_stack", "from_node", "seq_nr", "torch_fn",
                "custom")


def _splice(graph: torch.fx.Graph, node: torch.fx.Node, traced: torch.fx.GraphModule) -> str:
    """Put the traced decomposition in place of `node`; the name of the node that now
    gives its value."""
    inputs = list(node.all_input_nodes)
    env: dict = {}
    placeholders = iter(inputs)
    result = None
    with graph.inserting_before(node):
        for sub in traced.graph.nodes:
            if sub.op == "placeholder":
                env[sub] = next(placeholders)
            elif sub.op == "call_function" and sub.target is torch.ops.aten.alias.default:
                # value semantics: an alias is its input (run_decompositions' functionalization
                # drops them too; torch-mlir would keep them as copies)
                env[sub] = env[sub.args[0]]
            elif sub.op == "call_function":
                new = graph.node_copy(sub, lambda n: env[n])
                for key in _SOURCE_META:
                    if key in node.meta:
                        new.meta[key] = copy.copy(node.meta[key])
                env[sub] = new
            elif sub.op == "output":
                (out,) = torch.utils._pytree.tree_leaves(sub.args[0])
                result = env[out]
            else:
                raise _Fallback(f"the decomposition of {node.target} makes a {sub.op} node")
    node.replace_all_uses_with(result)
    graph.erase_node(node)
    return result.name


def decompose(program: ExportedProgram, table: dict) -> ExportedProgram:
    """The program with `table`'s decompositions applied, as run_decompositions(table)
    would, tracing only the nodes that change. The input program is left as it is."""
    from torch._export.utils import _special_op_to_preserve_cia
    from torch.export.exported_program import _split_decomp_table_to_cia_and_python_decomp

    cia_to_decomp, python_table = _split_decomp_table_to_cia_and_python_decomp(dict(table))
    kept_cia = {op for op, rule in cia_to_decomp.items() if rule is _special_op_to_preserve_cia}
    try:
        nodes = nodes_to_decompose(program, table, kept_cia)
        if not nodes:
            return program
        return _decompose_nodes(program, [node.name for node in nodes], cia_to_decomp, python_table)
    except _Fallback:
        return program.run_decompositions(table)


def _signature(node: torch.fx.Node):
    """What a node's decomposition depends on: its op, its non-tensor arguments, and its
    tensor inputs' shapes, strides and dtypes (nodes alike in these decompose alike)."""
    def describe(arg):
        value = arg.meta.get("val")
        if not isinstance(value, torch.Tensor):
            raise _Fallback(f"{arg} has no tensor value")
        return ("tensor", tuple(value.shape), tuple(value.stride()), value.dtype)

    args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), describe)
    return repr((node.target, node.all_input_nodes.__len__(), args, sorted(kwargs.items())))


def _decompose_nodes(program: ExportedProgram, names: list[str], cia_to_decomp: dict,
                     python_table: dict) -> ExportedProgram:
    from torch.export.exported_program import _override_composite_implicit_decomp

    graph = torch.fx.Graph()
    graph.output(graph.graph_copy(program.graph, {}))  # same node names
    by_name = {node.name: node for node in graph.nodes}
    traced: dict[str, torch.fx.GraphModule] = {}
    renamed: dict[str, str] = {}
    with _override_composite_implicit_decomp(cia_to_decomp):
        for name in names:
            node = by_name[name]
            key = _signature(node)
            if key not in traced:
                traced[key] = _trace_node(node, python_table)
            renamed[name] = _splice(graph, node, traced[key])
    graph.eliminate_dead_code()
    graph.lint()
    module = torch.fx.GraphModule(program.graph_module, graph)
    module.meta.update(program.graph_module.meta)
    decomposed = program._update(module, _renamed(program.graph_signature, renamed))
    for entry in decomposed._module_call_graph:  # (a copy) the graph's outputs by name
        if entry.signature is not None:
            entry.signature = _renamed(entry.signature, renamed)
    return decomposed


def _renamed(signature, renamed: dict):
    """A copy of a graph or module-call signature whose tensor arguments name the nodes
    that replaced decomposed ones."""
    from torch.export.graph_signature import TensorArgument

    def rename(value):
        if isinstance(value, TensorArgument) and value.name in renamed:
            return TensorArgument(name=renamed[value.name])
        if dataclasses.is_dataclass(value) and type(value).__module__.startswith("torch.export."):
            return dataclasses.replace(value, **{f.name: rename(getattr(value, f.name))
                                                 for f in dataclasses.fields(value) if f.init})
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    return rename(signature)
