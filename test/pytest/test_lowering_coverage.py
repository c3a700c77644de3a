"""Every lowering registry entry has a lit case and an end-to-end numeric test, and the
generated op table (docs/ops.md) is current. See tosaic/tools/ops.py for the marks."""

import os

from tosaic.lowering import registry
from tosaic.tools.ops import coverage, ops_markdown

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_entry_has_a_lit_case_and_an_e2e_test():
    found = coverage(REPO)
    names = [entry.name for entry in registry.entries()]
    assert not [n for n in names if n not in found.lit], "entries without a lit case (// LOWERING: ...)"
    assert not [n for n in names if n not in found.e2e], "entries without an e2e test (pytest.mark.lowering)"


def test_marks_name_existing_entries():
    assert coverage(REPO).unknown == []


def test_every_aten_op_the_quantizer_annotates_comes_from_an_entry():
    from tosaic.quantization import quantizer

    annotated = {str(op) for op in quantizer.ANNOTATED_OPS | quantizer.SHARED_QPARAM_OPS}
    assert annotated == set(registry.annotations())


def test_op_table_is_current():
    with open(os.path.join(REPO, "docs", "ops.md")) as f:
        assert f.read() == ops_markdown(), "docs/ops.md is stale: run `tosaic docs --write docs`"
