"""Tables of a scored benchmark: per rule, beside the naive checks, and broken down by nuisance."""

from __future__ import annotations

from collections.abc import Callable

from .score import Checked, Tally, tally

NOISE_BANDS = (("≤1%", 0.0, 0.01), ("1-2%", 0.01, 0.02), ("2-3%", 0.02, 0.031))
EVAL_BANDS = (("<16", 0, 16), ("16-39", 16, 40), ("≥40", 40, 10**9))
#: (fewest evals, most eval noise) under which each rule's docstring states its accuracy, its
#: main range first; rules not listed hold at any eval count and noise.
OPERATING_RANGE: dict[str, tuple[tuple[int, float], ...]] = {
    "CL201": ((8, 0.02),),
    "CL401": ((16, 0.01), (48, 0.01), (16, 0.02), (64, 0.02)),
    "CL303": ((8, 0.03),),
}


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _either(t: Tally) -> str:
    return f"{t.either_fired}/{t.either}" if t.either else "—"


def main_table(checked: list[Checked], codes: list[str], all_codes: list[str]) -> str:
    results = tally(checked, all_codes)
    lines = [
        "| rule | pos / neg / either | precision | recall | healthy FP | fired on either | info "
        "| step acc. | naive precision | naive recall | naive healthy FP |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for code in all_codes:
        rule, naive = results[code]["rule"], results[code]["naive"]
        counts = f"{rule.tp + rule.fn} / {rule.fp + rule.tn} / {rule.either}"
        if code not in codes:
            lines.append(
                f"| {code} | {counts} | not implemented | 0.00 | — | — | — | — | {_naive(naive)} |"
            )
            continue
        lines.append(
            f"| {code} | {counts} | {_f(rule.precision)} | {_f(rule.recall)} "
            f"| {_pct(rule.healthy_fp_rate)} | {_either(rule)} | {rule.info} "
            f"| {_f(rule.step_accuracy)} | {_naive(naive)} |"
        )
    return "\n".join(lines)


def in_range(code: str, which: int = 0) -> Callable[[Checked], bool]:
    """Whether a checked run lies inside ``code``'s stated operating range (its main one, or
    the ``which``-th)."""
    min_evals, max_noise = OPERATING_RANGE.get(code, ((0, 1.0),))[which]
    return lambda c: len(c.spec.steps) >= min_evals and c.spec.noise.sd <= max_noise


def in_range_table(checked: list[Checked], codes: list[str]) -> str:
    """The main numbers again, only over the runs inside each rule's stated operating ranges,
    with how many of the misses the rule said it could not tell (an ``info`` finding)."""
    lines = [
        "inside each rule's operating range (the eval count and noise its docs state):",
        "",
        "| rule | range | pos / neg / either | precision | recall | healthy FP | fired on either "
        "| misses that said they cannot tell |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for code in codes:
        for which, (min_evals, max_noise) in enumerate(OPERATING_RANGE.get(code, ((0, 1.0),))):
            t = tally(checked, [code], in_range(code, which))[code]["rule"]
            where = f"≥ {min_evals} evals, noise ≤ {max_noise:.0%}" if min_evals else "any"
            said = f"{t.fn_info}/{t.fn}" if t.fn else "—"
            lines.append(
                f"| {code} | {where} | {t.tp + t.fn} / {t.fp + t.tn} / {t.either} "
                f"| {_f(t.precision)} | {_f(t.recall)} | {_pct(t.healthy_fp_rate)} | {_either(t)} "
                f"| {said} |"
            )
    return "\n".join(lines)


def _naive(t: Tally) -> str:
    if t.tp + t.fp + t.fn + t.tn == 0:
        return "— | — | —"
    return f"{_f(t.precision)} | {_f(t.recall)} | {_pct(t.healthy_fp_rate)}"


def breakdown(checked: list[Checked], codes: list[str]) -> str:
    """Precision / recall per rule by eval-noise band and by number of evals."""
    bands: list[tuple[str, Callable[[Checked], bool]]] = []
    for name, lo, hi in NOISE_BANDS:
        bands.append((f"noise {name}", lambda c, lo=lo, hi=hi: lo <= c.spec.noise.sd < hi))
    for name, lo, hi in EVAL_BANDS:
        bands.append((f"evals {name}", lambda c, lo=lo, hi=hi: lo <= len(c.spec.steps) < hi))
    for kind in ("gauss", "t", "ar1"):
        bands.append((kind, lambda c, kind=kind: c.spec.noise.kind == kind))
    header = "| rule | " + " | ".join(name for name, _ in bands) + " |"
    lines = [
        "precision / recall (n positives) by eval noise, number of evals and noise type:",
        "",
        header,
        "|---" * (len(bands) + 1) + "|",
    ]
    per_band = [tally(checked, codes, keep) for _, keep in bands]
    for code in codes:
        cells = []
        for results in per_band:
            t = results[code]["rule"]
            cells.append(f"{_f(t.precision)} / {_f(t.recall)} ({t.tp + t.fn})")
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def misses(checked: list[Checked], codes: list[str], limit: int = 6) -> str:
    """A few false positives and false negatives per rule, to read."""
    lines = []
    for code in codes:
        wrong = []
        for c in checked:
            label, verdict = c.spec.labels[code], c.verdicts[code]
            fired = verdict.outcome == "fire"
            if (label == "pos" and not fired) or (label == "neg" and fired):
                wrong.append((label, c, verdict))
        if not wrong:
            continue
        lines.append(f"{code}: {len(wrong)} wrong")
        for label, c, verdict in wrong[:limit]:
            s = c.spec
            what = "missed" if label == "pos" else "false alarm"
            facts = ", ".join(f"{k}={v:.4g}" for k, v in s.facts.get(code, {}).items())
            message = verdict.findings[0].message[:160] if verdict.findings else ""
            lines.append(
                f"  {what} {s.group}/{s.name} {s.family}/{s.case} evals={len(s.steps)} "
                f"every {s.interval} noise={s.noise.label()} {s.noise.sd:.3f} {facts} {message}"
            )
    return "\n".join(lines)
