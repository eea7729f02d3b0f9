"""Two language models' token statistics (:class:`~xent.accumulators.token_totals.TokenStats`
of a comparison) as JSON and as Rich tables, in llama.cpp's order: the perplexities, KL,
Δp, the same top token. They format; they never compute."""

from __future__ import annotations

from ..units import base_label, unit_name
from .numbers import json_number

# The percentiles listed, as llama.cpp lists them (max and min apart).
KL_LISTED = (0.999, 0.99, 0.95, 0.9, 0.5, 0.1, 0.05, 0.01, 0.001)
DP_LISTED = (0.999, 0.99, 0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.05, 0.01, 0.001)
INTERPOLATION = "linear (numpy.percentile's default, as llama.cpp)"


def _name(f: float) -> str:
    return f"{100 * f:g}"


def _defined(x: float):
    """A figure that can be undefined (fewer than 2 tokens, no spread): null when nan."""
    return None if x != x else json_number(x)


def _estimate(value: float, error: float) -> dict:
    return {"value": json_number(value), "standard_error": _defined(error)}


def _spread(result, listed) -> dict:
    values = result.percentiles.values
    return {
        "max": json_number(values[1.0]),
        "percentiles": {_name(f): json_number(values[f]) for f in listed},
        "min": json_number(values[0.0]),
    }


def log_name(base: float) -> str:
    """How the log of the perplexities' ratio is written: ``ln`` in nats, ``log2`` ..."""
    return "ln" if base_label(base) == "e" else f"log{base_label(base)}"


def tokens_to_dict(stats) -> dict:
    """The JSON of the token statistics (a few hundred bytes, whatever the vocabulary):
    KL and the log ratio in ``unit``, the log base of ``base``."""
    out: dict = {"count": stats.tokens}
    if "kl" in stats.results or "perplexity" in stats.results:  # figures with a unit
        out.update(unit=unit_name(stats.base), base=stats.base)
    r = stats.results
    if "perplexity" in r:
        p = r["perplexity"]
        out["perplexity"] = {
            "a": _estimate(p.perplexity_base, p.perplexity_base_error),
            "b": _estimate(p.perplexity_other, p.perplexity_other_error),
            "correlation": _defined(p.correlation),
            "log_ratio": _estimate(p.log_ratio, p.log_ratio_error),
            "ratio": _estimate(p.ratio, p.ratio_error),
        }
    if "kl" in r:
        kl = r["kl"]
        out["kl"] = {
            **_estimate(kl.mean, kl.standard_error),
            **_spread(kl, KL_LISTED),
            "floored": kl.floored,
        }
    if "delta_p" in r:
        dp = r["delta_p"]
        out["delta_p"] = {
            **_estimate(dp.mean, dp.standard_error),
            "rms": _estimate(dp.rms, dp.rms_error),
            **_spread(dp, DP_LISTED),
        }
    if "top1" in r:
        top = r["top1"]
        out["top1"] = {**_estimate(top.fraction, top.standard_error), "same": top.same}
    quantiles = [r[n].percentiles for n in ("kl", "delta_p") if n in r]
    if quantiles:
        q = quantiles[0]
        out["percentiles"] = {
            "method": "exact" if q.exact else "sketch",
            "interpolation": INTERPOLATION if q.exact else "none (a kept value)",
            "exact_up_to": stats.settings.exact_limit,
            "rank_error": max(x.rank_error for x in quantiles),
        }
    return out


def tokens_table(stats, num):
    """The token statistics: a grid of the estimates (± their standard errors), then the
    percentiles of KL and Δp side by side, as llama.cpp prints them."""
    from rich.console import Group
    from rich.text import Text

    from .layout import Column, fitted_table

    r = stats.results
    rows: list[list[str]] = []
    unit, log = unit_name(stats.base), log_name(stats.base)

    def pm(value, error):
        return [num(value), "" if error != error else f"± {num(error)}"]

    if "perplexity" in r:
        p = r["perplexity"]
        rows += [
            ["PPL(A)", *pm(p.perplexity_base, p.perplexity_base_error), "exp(mean NLL)"],
            ["PPL(B)", *pm(p.perplexity_other, p.perplexity_other_error), ""],
            ["Cor(ln PPL(A), ln PPL(B))", f"{100 * p.correlation:.2f}%", "", "log-probs"],
            [
                f"{log}(PPL(B)/PPL(A))",
                *pm(p.log_ratio, p.log_ratio_error),
                f"{unit}, with the covariance",
            ],
            ["PPL(B)/PPL(A)", *pm(p.ratio, p.ratio_error), ""],
        ]
    if "kl" in r:
        kl = r["kl"]
        rows.append(["mean KL(A‖B)", *pm(kl.mean, kl.standard_error), f"{unit} per token"])
    if "delta_p" in r:
        dp = r["delta_p"]
        rows.append(["mean Δp", *pm(100 * dp.mean, 100 * dp.standard_error), "%, p_B − p_A"])
        rows.append(["RMS Δp", *pm(100 * dp.rms, 100 * dp.rms_error), "%"])
    if "top1" in r:
        top = r["top1"]
        rows.append(["same top token", *pm(100 * top.fraction, 100 * top.standard_error), "%"])
    columns = [Column("", "left", "bold"), Column(""), Column(""), Column("", "left", "dim")]
    title = f"\nToken by token: {stats.tokens:,} tokens, A the base"
    parts = [Text(title, style="bold"), fitted_table(columns, rows, grid=True)]
    kl_name = "KL(A‖B)" + ("" if unit == "nats" else f" {unit}")
    spread = [(name, r[key]) for key, name in (("kl", kl_name), ("delta_p", "Δp %")) if key in r]
    if spread:
        scale = [100 if name.startswith("Δp") else 1 for name, _ in spread]
        fractions = (1.0, *DP_LISTED, 0.0)
        label = {1.0: "max", 0.0: "min"}
        cells = [
            [label.get(f, f"{_name(f)}%")]
            + [num(k * res.percentiles.values[f]) for k, (_, res) in zip(scale, spread)]
            for f in fractions
        ]
        header = [Column("percentile", "left")] + [Column(name) for name, _ in spread]
        parts.append(fitted_table(header, cells))
    return Group(*parts)


def tokens_csv(stats) -> tuple[list[str], list[str]]:
    """The token statistics as CSV columns (their names, and the ``(all)`` row's values):
    ``kl``, ``kl_se``, ``kl_max``, ``kl_p99.9`` ..., ``kl_min``, as the JSON nests them."""
    from .numbers import full_precision

    r = stats.results
    cells: list[tuple[str, object]] = [("tokens", stats.tokens)]
    if "perplexity" in r:
        p = r["perplexity"]
        cells += [
            ("ppl_a", p.perplexity_base), ("ppl_a_se", p.perplexity_base_error),
            ("ppl_b", p.perplexity_other), ("ppl_b_se", p.perplexity_other_error),
            ("correlation", p.correlation),
            ("log_ratio", p.log_ratio), ("log_ratio_se", p.log_ratio_error),
            ("ratio", p.ratio), ("ratio_se", p.ratio_error),
        ]  # fmt: skip
    for key, name, listed in (("kl", "kl", KL_LISTED), ("delta_p", "dp", DP_LISTED)):
        if key not in r:
            continue
        res = r[key]
        cells += [(name, res.mean), (f"{name}_se", res.standard_error)]
        if key == "delta_p":
            cells += [("dp_rms", res.rms), ("dp_rms_se", res.rms_error)]
        v = res.percentiles.values
        cells += [(f"{name}_max", v[1.0])]
        cells += [(f"{name}_p{_name(f)}", v[f]) for f in listed]
        cells += [(f"{name}_min", v[0.0])]
    if "top1" in r:
        top = r["top1"]
        cells += [("top1", top.fraction), ("top1_se", top.standard_error), ("top1_same", top.same)]
    quantiles = [r[n].percentiles for n in ("kl", "delta_p") if n in r]
    if quantiles:
        cells += [
            ("percentiles", "exact" if quantiles[0].exact else "sketch"),
            ("rank_error", max(q.rank_error for q in quantiles)),
        ]
    texts = [
        str(value) if isinstance(value, (str, int)) else full_precision(value)  # type: ignore[arg-type]
        for _, value in cells
    ]
    return [name for name, _ in cells], texts
