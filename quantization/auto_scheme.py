"""`--scheme auto --budget SQNR_DB [--objective flash|cycles]`: a per-layer scheme choice.

Each quantizable layer takes a8w8, a8w4 (int4 weights: half the weight bytes, more error)
or a16w8 (int16 activations: less error, more cycles). The search:

1. measures each layer's sensitivity (`tosaic.quantization.sensitivity`): the output's
   noise power on the held-out slice with only that layer changed, and the cost (weight
   bytes; Vela's per-layer cycles for `objective="cycles"`);
2. models the noise of an assignment as the baseline's plus each changed layer's increase
   (noise powers add), and picks the cheapest assignment whose modelled noise keeps the
   budget: a Lagrangian sweep (each layer takes the option minimising cost + lambda *
   noise, over every lambda where some layer's choice changes), then a greedy pass of
   single-layer moves to cheaper options that still fit;
3. verifies the choice: quantizes with it (its own calibration) and measures the held-out
   SQNR of the fake-quantized program. When that misses the budget (the noise model is an
   estimate), the modelled allowance shrinks by the miss and the search repeats (at most
   `MAX_ROUNDS` rounds); the cheapest verified choice wins;
4. spends what measured slack is left: single-layer moves to cheaper options, best saving
   per modelled noise first, each measured and kept if it still meets the budget (at most
   `REFINE_TRIES` measurements).

The chosen assignment is a scheme config (one exact name per layer that is not the
default), which the compile then quantizes with (on all the calibration data, as
`--scheme-config` replays it) and compiles for real: the report's flash and cycles are
measured.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Optional

from tosaic.driver.errors import TosaicError
from tosaic.quantization.scheme_config import SchemeConfig
from tosaic.quantization.sensitivity import (BASELINE, UNIFORM, Evaluator, Sensitivity, analyse, sqnr_db)

OBJECTIVES = ("flash", "cycles")
OPTIONS = ("a8w8", "a8w4", "a16w8")
MAX_ROUNDS = 5
REFINE_TRIES = 6  # measured single-layer moves after the modelled choice


def _costs(sens: Sensitivity, objective: str) -> dict[str, dict[str, float]]:
    """layer -> option -> cost. Flash: weight bytes (ties broken by cycles, then by
    preferring a8w8). Cycles: Vela's per-layer cycles (ties broken by weight bytes)."""
    costs = {}
    for layer in sens.layers:
        cycles = sens.cycles[layer.name] if sens.cycles else None
        entry = {}
        for option in OPTIONS:
            flash = layer.weight_bytes(option)
            cyc = cycles[option] if cycles else 0
            if objective == "flash":
                entry[option] = flash + 1e-6 * cyc + (1e-9 if option == "a16w8" else 0.0)
            else:
                entry[option] = cyc + 1e-6 * flash
        costs[layer.name] = entry
    return costs


@dataclass
class Context:
    """A starting point: every layer at `base`, and each layer's noise change (held-out
    noise power) when only it takes another option."""

    base: str
    base_noise: float
    deltas: dict[str, dict[str, float]]  # layer -> option -> noise change (the base: 0)


def context_a8w8(sens: Sensitivity) -> Context:
    base = sens.uniform[BASELINE].noise_holdout
    return Context(BASELINE, base, {layer.name: {"a8w8": 0.0, **{c: sens.deltas[layer.name][c].noise_holdout - base
                                                                  for c in ("a8w4", "a16w8")}}
                                    for layer in sens.layers})


def context_a16w8(sens: Sensitivity, evaluator: Evaluator, options=("a8w4",)) -> Context:
    """From all-a16w8: the int16 activations of the neighbours keep a layer's own int8
    edges from being requantized anyway, so a layer's int4 weights cost what they cost
    in a program that is otherwise int16 (measured here, one evaluation per layer and
    option)."""
    base = sens.uniform["a16w8"].noise_holdout
    deltas = {}
    for layer in sens.layers:
        deltas[layer.name] = {"a16w8": 0.0}
        for option in options:
            m = evaluator.measure(SchemeConfig(default="a16w8", names={layer.name: option}))
            deltas[layer.name][option] = m.noise_holdout - base
    return Context("a16w8", base, deltas)


def _modelled(assignment: dict[str, str], ctx: Context) -> float:
    return ctx.base_noise + sum(ctx.deltas[name][option] for name, option in assignment.items())


def choose(ctx: Context, costs, allowance: float) -> dict[str, str]:
    """The cheapest assignment whose modelled held-out noise is at most `allowance`."""
    names = list(ctx.deltas)
    deltas = ctx.deltas

    def options(n):
        return [o for o in OPTIONS if o in deltas[n]]

    def at(lam: float) -> dict[str, str]:
        if lam == math.inf:
            return {n: min(options(n), key=lambda o: (deltas[n][o], costs[n][o])) for n in names}
        return {n: min(options(n), key=lambda o: (costs[n][o] + lam * deltas[n][o], OPTIONS.index(o)))
                for n in names}

    lambdas = {0.0}
    for n in names:
        for a in options(n):
            for b in options(n):
                dn = deltas[n][b] - deltas[n][a]
                if dn > 0:
                    lam = (costs[n][a] - costs[n][b]) / dn
                    if lam > 0:
                        lambdas.update((lam * 0.999, lam * 1.001))
    best: Optional[dict[str, str]] = None
    best_cost = math.inf
    for lam in sorted(lambdas) + [math.inf]:
        assignment = at(lam)
        if _modelled(assignment, ctx) <= allowance:
            cost = sum(costs[n][assignment[n]] for n in names)
            if cost < best_cost:
                best, best_cost = assignment, cost
    if best is None:  # not even the least-noise choice fits the model: take it; verification decides
        return at(math.inf)
    # greedy: the single-layer move to a cheaper option that saves most and still fits
    while True:
        noise = _modelled(best, ctx)
        moves = [(costs[n][best[n]] - costs[n][o], n, o) for n in names for o in options(n)
                 if costs[n][o] < costs[n][best[n]] and noise - deltas[n][best[n]] + deltas[n][o] <= allowance]
        if not moves:
            return best
        _, n, o = max(moves)
        best = {**best, n: o}


def as_config(assignment: dict[str, str], default: str = BASELINE) -> SchemeConfig:
    """One exact module name per layer whose scheme is not the default, in layer order."""
    return SchemeConfig(default=default, names={n: o for n, o in assignment.items() if o != default},
                        source="scheme auto")


def _search_context(ctx: Context, costs, evaluator: Evaluator, signal: float, budget_db: float, tried: dict):
    """Choose in `ctx` and verify; shrink or loosen the modelled allowance by the measured
    miss (bisecting between the loosest that met and the tightest that missed).
    Returns (rounds, best (cost, assignment, measure) or None)."""
    target_noise = signal / 10 ** (budget_db / 10)
    allowance, met, missed = target_noise, 0.0, math.inf
    rounds, best = [], None
    for _ in range(MAX_ROUNDS):
        assignment = choose(ctx, costs, allowance)
        key = tuple(sorted(assignment.items()))
        if rounds and key == rounds[-1]["key"]:
            break  # the allowance no longer changes the choice
        if key not in tried:
            tried[key] = evaluator.measure(as_config(assignment, ctx.base))
        measured = tried[key]
        cost = sum(costs[n][o] for n, o in assignment.items())
        held = sqnr_db(signal, measured.noise_holdout)
        ok = held >= budget_db
        rounds.append({"start": ctx.base, "allowance_db": round(sqnr_db(signal, allowance), 3),
                       "sqnr_holdout_db": round(held, 3), "cost": round(cost, 3), "meets": ok, "key": key})
        if ok:
            if best is None or cost < best[0]:
                best = (cost, assignment, measured)
            met = max(met, allowance)
            if measured.noise_holdout > 0.9 * target_noise:
                break  # close to the budget already
            step = allowance * target_noise / max(measured.noise_holdout, 1e-30)
        else:
            missed = min(missed, allowance)
            step = allowance * 0.95 * target_noise / measured.noise_holdout
        if met < step < missed or missed == math.inf:
            allowance = step
        else:
            allowance = math.sqrt(max(met, 1e-30) * missed) if met else step
        if missed != math.inf and met and missed / met < 1.02:
            break
    for r in rounds:
        del r["key"]
    return rounds, best


def _refine(ctx: Context, costs, evaluator: Evaluator, signal: float, budget_db: float, cost, assignment,
            measured, tried, tries: int = REFINE_TRIES):
    """Spend the measured slack: single-layer moves to cheaper options, most saving per
    modelled noise first, each kept only if its measurement still meets the budget."""
    rounds = []
    target_noise = signal / 10 ** (budget_db / 10)
    while tries > 0 and measured.noise_holdout < target_noise:
        moves = sorted(((costs[n][assignment[n]] - costs[n][o]) / max(ctx.deltas[n][o] - ctx.deltas[n][assignment[n]],
                                                                       1e-30), n, o)
                       for n in assignment for o in ctx.deltas[n] if costs[n][o] < costs[n][assignment[n]])
        moves = [m for m in reversed(moves) if tuple(sorted({**assignment, m[1]: m[2]}.items())) not in tried]
        improved = False
        for _, n, o in moves:
            if tries <= 0:
                break
            candidate = {**assignment, n: o}
            key = tuple(sorted(candidate.items()))
            tried[key] = evaluator.measure(as_config(candidate, ctx.base))
            tries -= 1
            held = sqnr_db(signal, tried[key].noise_holdout)
            new_cost = sum(costs[k][v] for k, v in candidate.items())
            rounds.append({"start": ctx.base, "refine": f"{n}={o}", "sqnr_holdout_db": round(held, 3),
                           "cost": round(new_cost, 3), "meets": held >= budget_db})
            if held >= budget_db:
                cost, assignment, measured, improved = new_cost, candidate, tried[key], True
                break
        if not improved:
            break
    return cost, assignment, measured, rounds


def search(sens: Sensitivity, evaluator: Evaluator, budget_db: float, objective: str = "flash") -> dict:
    """Choose and verify (see the module docstring): {"config", "assignment", "rounds", ...}."""
    if objective not in OBJECTIVES:
        raise TosaicError(f"unknown objective '{objective}'; available: {', '.join(OBJECTIVES)}")
    if objective == "cycles" and not sens.cycles:
        raise TosaicError("--objective cycles needs Vela's per-layer cycles: compile for an Ethos-U target "
                          "(e.g. --target ethos-u55-128)")
    signal = sens.signal["holdout"]
    costs = _costs(sens, objective)
    contexts = [context_a8w8(sens)]
    if objective == "flash" or sens.sqnr(sens.uniform["a16w8"]) >= budget_db:
        contexts.append(context_a16w8(sens, evaluator, ("a8w4",) if objective == "flash" else ("a8w4", "a8w8")))
    rounds, best, tried = [], None, {}
    for ctx in contexts:
        ctx_rounds, found = _search_context(ctx, costs, evaluator, signal, budget_db, tried)
        rounds += ctx_rounds
        if found is not None and (best is None or found[0] < best[0][0]):
            best = (found, ctx)
    if best is None:
        limits = {s: round(sens.sqnr(sens.uniform[s]), 2) for s in UNIFORM}
        closest = max(r["sqnr_holdout_db"] for r in rounds)
        raise TosaicError(f"--budget {budget_db} dB is not reachable: the best choice tried measured "
                          f"{closest:.2f} dB on the held-out slice (uniform: "
                          + ", ".join(f"{s} {v} dB" for s, v in limits.items()) + ")")
    (cost, assignment, measured), ctx = best
    cost, assignment, measured, refined = _refine(ctx, costs, evaluator, signal, budget_db, cost, assignment,
                                                  measured, tried)
    rounds += refined
    return {"config": as_config(assignment, ctx.base), "assignment": assignment, "rounds": rounds,
            "sqnr_calibration_db": sqnr_db(sens.signal["calibration"], measured.noise_calibration),
            "sqnr_holdout_db": sqnr_db(signal, measured.noise_holdout)}


def auto_compile_config(exported, program, example_inputs, target, budget, objective, calibration_data,
                        output_dir, vela_options):
    """`tosaic.compile(scheme="auto")`: the config to compile with, and report.json's search section."""
    import torch

    if budget is None:
        raise TosaicError("--scheme auto needs --budget SQNR_DB (the output's SQNR vs the float model, in dB)")
    if objective not in OBJECTIVES:
        raise TosaicError(f"unknown objective '{objective}'; available: {', '.join(OBJECTIVES)}")
    if calibration_data is None:
        raise TosaicError("--scheme auto needs calibration data (--calibration DIR, at least 2 samples): "
                          "the error it budgets is measured on a held-out slice of it")
    from tosaic import targets

    if objective == "cycles" and not targets.target(target).accelerator:
        raise TosaicError("--objective cycles needs Vela's per-layer cycles: compile for an Ethos-U target "
                          "(e.g. --target ethos-u55-128)")
    start = time.perf_counter()
    model = program if isinstance(program, torch.nn.Module) else exported.module()
    if example_inputs is None:
        example_inputs = tuple(calibration_data[0])
    evaluator = Evaluator(model, example_inputs, calibration_data)
    least_noise = sqnr_db(evaluator.signal_holdout, evaluator.measure(SchemeConfig(default="a16w8")).noise_holdout)
    if budget > least_noise + 0.5:  # int16 activations everywhere is (nearly) the least error a mix has
        raise TosaicError(f"--budget {budget} dB is not reachable: all-a16w8, the least-error scheme, measures "
                          f"{least_noise:.2f} dB on the held-out slice")
    sens = analyse(model, example_inputs, calibration_data, target, vela_options=vela_options, evaluator=evaluator,
                   compile_uniform=objective == "cycles")
    found = search(sens, evaluator, budget, objective)
    config = found["config"]
    section = {"budget_db": budget, "objective": objective, "rounds": found["rounds"],
               "measured": {"sqnr_holdout_db": round(found["sqnr_holdout_db"], 3),
                            "sqnr_calibration_db": round(found["sqnr_calibration_db"], 3),
                            "weight_bytes": sum(layer.weight_bytes(found["assignment"][layer.name])
                                                for layer in sens.layers)},
               "uniform_sqnr_holdout_db": {s: round(sens.sqnr(sens.uniform[s]), 3) for s in UNIFORM},
               "samples": sens.samples, "evaluations": evaluator.evaluations,
               "seconds": round(time.perf_counter() - start, 2)}
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
        path = os.path.join(output_dir, "scheme_config.json")
        config.write(path)
        section["config_file"] = path
    return config, section
