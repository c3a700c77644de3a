"""A pass plugin for tosaic-opt --load-pass-plugin: counts ops, reports statistics.

    tosaic-opt in.mlir --load-pass-plugin=count_ops.py --test-count-ops --mlir-pass-statistics
"""

from torch_mlir import ir

from tosaic.passes.base import Option, Pass, Statistic


class CountOps(Pass):
    name = "test-count-ops"
    summary = "Count the ops in each function (a test pass with statistics)"
    anchor = "func.func"
    fail_on = Option(str, "", "Fail, naming it, at the first op of this name")

    ops = Statistic("Number of ops seen")
    functions = Statistic("Number of functions visited", name="num-functions")

    def run(self, op):
        self.functions += 1
        seen = []
        op.walk(lambda child: seen.append(child.operation) or ir.WalkResult.ADVANCE)
        for child in seen[:-1]:  # the walk ends at the function itself
            self.ops += 1
            if child.name == self.fail_on:
                raise self.error(child, f"is a {self.fail_on}")
