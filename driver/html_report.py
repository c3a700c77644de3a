"""OUTDIR/report.html: one self-contained page of what a compile (and `tosaic debug`) found.

Summary (target, NPU placement, cycles, memory, IO dtypes and quantization), per-layer
Vela cycles and SRAM staging as bar charts, per-layer numeric error against depth (when
`tosaic debug` ran), weights by dtype, TOSA op counts, per-stage seconds and the pipeline.
Charts are matplotlib SVG, inlined; the page loads nothing from anywhere. Without
matplotlib the page has the tables only.
"""

from __future__ import annotations

import html
import io
import json
import os
import re

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f7f7f7;padding:8px;white-space:pre-wrap;word-break:break-all;font-size:0.8em}
figure{margin:1em 0}svg{max-width:100%;height:auto}td{word-break:break-word}
"""


def _esc(value) -> str:
    return html.escape(str(value))


def _table(headers, rows, numeric=()) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{_esc(c)}</td>' if i in numeric else f"<td>{_esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        matplotlib.rcParams["svg.hashsalt"] = "tosaic"  # the same report gives the same SVG ids
        matplotlib.rcParams["svg.fonttype"] = "none"
        import matplotlib.pyplot as plt

        return plt
    except ImportError:
        return None


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    fig.clear()
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: inline in HTML


def _bar_chart(plt, labels, values, title, xlabel, color="#3b75af") -> str:
    height = max(2.0, 0.22 * len(labels) + 1.0)
    fig, ax = plt.subplots(figsize=(9, height))
    positions = list(range(len(labels)))
    ax.barh(positions, values, color=color)
    ax.set_yticks(positions, labels=labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return f'<figure class="chart" data-chart="{_esc(title)}">{_svg(fig)}</figure>'


def _numerics_chart(plt, rows) -> str:
    rows = sorted(rows, key=lambda r: r["depth"])
    depth = [r["depth"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    finite = [r["sqnr_db"] if r["sqnr_db"] is not None else float("nan") for r in rows]
    ax.plot(depth, finite, marker="o", color="#3b75af", label="SQNR vs float (dB)")
    ax.set_xlabel("quantized tensor, in graph order (depth)")
    ax.set_ylabel("SQNR (dB)")
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    twin.bar(depth, [r["max_lsb"] for r in rows], color="#d9534f", alpha=0.5, label="max LSB vs fake-quantized")
    twin.set_ylabel("max LSB")
    twin.set_ylim(bottom=0, top=max(1, max((r["max_lsb"] for r in rows), default=1)) * 1.2)
    ax.set_title("per-layer numeric error against depth")
    lines = ax.get_legend_handles_labels()
    bars = twin.get_legend_handles_labels()
    ax.legend(lines[0] + bars[0], lines[1] + bars[1], fontsize=7, loc="lower left")
    return f'<figure class="chart" data-chart="numerics">{_svg(fig)}</figure>'


def _short_source(source: str | None) -> str:
    """file.py:line (the full path is in report.json)."""
    return os.path.basename(source) if source else ""


def _io_rows(signatures) -> list:
    rows = []
    for i, s in enumerate(signatures):
        q = s.get("quantization") or {}
        rows.append([i, "x".join(map(str, s["shape"])), q.get("dtype", s["dtype"]), s["dtype"],
                     f"{q['scale']:.6g}" if q else "", q.get("zero_point", ""),
                     (s.get("packing") or {}).get("layout", "NCHW as the program" if len(s["shape"]) == 4 else "")])
    return rows


def render(report: dict, numerics: dict | None = None) -> str:
    plt = _pyplot()
    vela = report.get("vela") or {}
    parts = [f"<h1>tosaic report: {_esc(report.get('target'))}</h1>"]

    summary = [["target", report.get("target")], ["quantized", report.get("quantized")],
               ["TOSA profile", f"{report['tosa']['profile']} {' '.join(report['tosa']['extensions'])}"],
               ["TOSA ops", sum(report.get("ops", {}).values())],
               ["flatbuffer bytes", report.get("flatbuffer_bytes")]]
    if report.get("activation_types"):
        summary.append(["activation types", ", ".join(report["activation_types"])])
    if vela:
        placement = vela["placement"]
        summary += [
            ["Vela", f"{vela.get('vela_version')} {vela['accelerator']} ({vela['system_config']}, "
                     f"{vela['memory_mode']}, {vela['optimise']})"],
            ["NPU placement", f"{placement['npu_ops']} NPU / {placement['cpu_ops']} CPU ops"],
            ["cycles", f"{vela['cycles']['total']} ({vela['inference_time_s'] * 1e3:.3f} ms)"],
            ["SRAM used", f"{vela['sram_used_bytes']} B"], ["off-chip used", f"{vela['offchip_used_bytes']} B"],
            ["weights (Vela)", f"{vela['weights_bytes']['original']} B original, "
                               f"{vela['weights_bytes']['encoded']} B encoded"],
        ]
    for key, value in (report.get("versions") or {}).items():
        summary.append([f"version: {key}", value])
    if report.get("command"):
        summary.append(["command", " ".join(report["command"])])
    parts.append("<h2>Summary</h2>" + _table(["item", "value"], summary))
    io_headers = ["#", "shape", "dtype", "storage", "scale", "zero point", "layout"]
    parts.append("<h2>Inputs</h2>" + _table(io_headers, _io_rows(report.get("inputs", [])), numeric=(4, 5)))
    parts.append("<h2>Outputs</h2>" + _table(io_headers, _io_rows(report.get("outputs", [])), numeric=(4, 5)))

    layers = vela.get("layers") or []
    if layers:
        labels = [f"{row.get('layer') or row['name']} ({row['original_op']})" for row in layers]
        parts.append("<h2>Per-layer cycles (Vela)</h2>")
        if plt:
            parts.append(_bar_chart(plt, labels, [row["cycles"] for row in layers], "Vela cycles per layer",
                                    "cycles"))
            parts.append(_bar_chart(plt, labels, [row["staging_bytes"] for row in layers],
                                    "SRAM staging per layer", "bytes", color="#5cb85c"))
        parts.append(_table(["tensor", "layer", "TOSA op", "Vela op", "source", "cycles", "% cycles", "MACs",
                             "staging B"],
                            [[r["name"], r.get("layer", ""), r.get("tosa_op", ""), r["original_op"],
                              _short_source(r.get("source")), r["cycles"], f"{r['cycles_percent']:.1f}", r["macs"],
                              r["staging_bytes"]] for r in layers], numeric=(5, 6, 7, 8)))

    if numerics and numerics.get("layers"):
        rows = numerics["layers"]
        first = numerics.get("first_lsb_error")
        parts.append("<h2>Per-layer numerics (tosaic debug)</h2>")
        parts.append("<p>First layer with LSB error: " + (
            f"<b>{_esc(first['layer'])}</b> ({_esc(first['op'])}, depth {first['depth']}, max "
            f"{first['max_lsb']} LSB)" if first else "none: every quantized tensor is bit-exact") + "</p>")
        if plt:
            parts.append(_numerics_chart(plt, rows))
        parts.append(_table(["depth", "layer", "op", "dtype", "scale", "zp", "max LSB", "exact %", "SQNR dB",
                             "max abs err", "cycles"],
                            [[r["depth"], r["layer"], r["op"], r["dtype"], f"{r['scale']:.4g}", r["zero_point"],
                              r["max_lsb"], f"{r['exact_percent']:.3f}",
                              "exact" if r["sqnr_db"] is None else f"{r['sqnr_db']:.1f}",
                              f"{r['max_abs_error']:.3g}", r["vela_cycles"] if r["vela_cycles"] is not None else ""]
                             for r in sorted(rows, key=lambda r: r["depth"])], numeric=(0, 4, 5, 6, 7, 8, 9, 10)))

    weights = report.get("weights") or {}
    if weights.get("by_dtype"):
        parts.append("<h2>Weights by dtype</h2>")
        by_dtype = weights["by_dtype"]
        if plt:
            parts.append(_bar_chart(plt, list(by_dtype), list(by_dtype.values()), "weight bytes by dtype", "bytes",
                                    color="#f0ad4e"))
        parts.append(_table(["dtype", "bytes"], list(by_dtype.items()), numeric=(1,)))

    ops = report.get("ops") or {}
    if ops:
        parts.append("<h2>TOSA op counts</h2>")
        if plt:
            parts.append(_bar_chart(plt, [k.removeprefix("tosa.") for k in ops], list(ops.values()), "TOSA ops",
                                    "count", color="#777"))
        transposes = report.get("transposes", {})
        parts.append(f"<p>transposes: {transposes.get('after_torch_mlir')} after torch-mlir, "
                     f"{transposes.get('final')} final</p>")

    parts.append("<h2>Pipeline</h2>")
    parts.append(_table(["stage", "seconds"], sorted((report.get("seconds") or {}).items()), numeric=(1,)))
    parts.append(f"<pre>{_esc(report.get('pipeline', ''))}</pre>")
    if report.get("vela_command"):
        parts.append(f"<p>Vela command:</p><pre>{_esc(' '.join(report['vela_command']))}</pre>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tosaic report: "
            f"{_esc(report.get('target'))}</title><style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n")


def write_html_report(result, output_dir: str, numerics: dict | None = None) -> str:
    """Write OUTDIR/report.html for a CompileResult; returns the path."""
    if numerics is None:  # keep `tosaic debug`'s numbers when the compile is written again
        path = os.path.join(output_dir, "numerics.json")
        if result.report.get("numerics") and os.path.exists(path):
            with open(path) as f:
                numerics = json.load(f)
    page = render(result.report, numerics)
    path = os.path.join(output_dir, "report.html")
    with open(path, "w") as f:
        f.write(page)
    return path


def chart_count(page: str) -> int:
    return len(re.findall(r'<figure class="chart"', page))
