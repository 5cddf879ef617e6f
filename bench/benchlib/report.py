"""Collects values per (case, metric, product) and renders the markdown tables and the JSON."""

import statistics

from .scenarios import Capped

BASELINE = "supervisord"


class Report:
    def __init__(self, cases, product_names):
        self.cases = cases
        self.products = product_names          # row order in the tables
        self.values = {}                       # (case, metric, product) -> [float]
        self.capped = {}                       # (case, metric, product) -> bool
        self.status = {}                       # (case, product) -> (state, reason)
        self.limit_names = {}                  # case -> [limit names]
        self.notes = {}                        # scenario -> [text]

    # ---- recording ----
    def add(self, case, product, values):
        for key, v in values.items():
            self.values.setdefault((case.name, key, product), []).append(float(v))
            if isinstance(v, Capped):
                self.capped[(case.name, key, product)] = True
        self.status.setdefault((case.name, product), ("ok", ""))

    def set_status(self, case, product, state, reason):
        self.status[(case.name, product)] = (state, reason)

    def state(self, case_name, product):
        return self.status.get((case_name, product), (None, ""))

    def median(self, case_name, key, product):
        vals = self.values.get((case_name, key, product))
        return statistics.median(vals) if vals else None

    # ---- evaluation ----
    def _target(self, metric):
        if not metric.target:
            return None
        op, value, text = metric.target
        if callable(value):
            value = value(self)
        return op, value, text

    def met(self, case, metric, product):
        t = self._target(metric)
        med = self.median(case.name, metric.key, product)
        if t is None or med is None:
            return None
        op, value, _ = t
        if value is None:
            return None
        capped = self.capped.get((case.name, metric.key, product), False)
        if op == "<=":
            return (not capped) and med <= value + 1e-12
        if op == ">=":
            return med >= value - 1e-12
        return abs(med - value) < 1e-9

    def rows(self, case):
        """Yield row dicts for every metric of `case`, products then limits."""
        names = [p for p in self.products if (case.name, p) in self.status]
        names += self.limit_names.get(case.name, [])
        for metric in case.metrics:
            for p in names:
                state, reason = self.state(case.name, p)
                vals = self.values.get((case.name, metric.key, p), [])
                if state != "ok" and not vals:
                    if metric is not case.metrics[0]:
                        continue
                    yield {"metric": metric, "product": p, "state": state, "reason": reason,
                           "target": self._target(metric) if p == "tend" else None}
                    continue
                if not vals:
                    continue
                capped = self.capped.get((case.name, metric.key, p), False)
                med = statistics.median(vals)
                base = self.median(case.name, metric.key, BASELINE)
                ratio = med / base if base else None
                t = self._target(metric) if p == "tend" else None
                yield {"metric": metric, "product": p, "state": state, "reason": reason,
                       "values": vals, "median": med, "min": min(vals), "max": max(vals),
                       "capped": capped, "ratio": ratio, "target": t,
                       "met": self.met(case, metric, p) if p == "tend" else None}

    # ---- rendering ----
    def markdown(self, header_lines, limits_rows):
        out = list(header_lines)
        out += ["", "## Machine limits", "", "| limit | value |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in limits_rows]
        scenarios = []
        for c in self.cases:
            if c.scenario not in scenarios:
                scenarios.append(c.scenario)
        for s in scenarios:
            out += ["", f"## {s}", "",
                    "| scenario | product | median | min | max | reps | ratio vs supervisord "
                    "| target | met? |",
                    "|---|---|--:|--:|--:|--:|--:|---|---|"]
            for case in (c for c in self.cases if c.scenario == s):
                for r in self.rows(case):
                    m = r["metric"]
                    label = f"{case.name}: {m.label}" + (f" ({m.unit})" if m.unit else "")
                    if "values" not in r:
                        tgt = r["target"][2] if r.get("target") else ""
                        out.append(f"| {label} | {r['product']} | {r['state']}: "
                                   f"{_cell(r['reason'])} | | | | | {tgt} | |")
                        continue
                    ge = "≥ " if r["capped"] else ""
                    fmt = _fmt(m.digits)
                    ratio = _ratio(r["ratio"])
                    tgt = r["target"][2] if r["target"] else ""
                    if r["target"] and callable(m.target[1]) and r["target"][1] is not None:
                        tgt += f" ({fmt(r['target'][1])})"
                    met = {True: "yes", False: "**NO**", None: ""}[r["met"]]
                    extra = f" — {r['state']}: {_cell(r['reason'])}" if r["state"] != "ok" else ""
                    out.append(f"| {label} | {r['product']} | {ge}{fmt(r['median'])}{extra} | "
                               f"{fmt(r['min'])} | {ge}{fmt(r['max'])} | {len(r['values'])} | "
                               f"{ratio} | {tgt} | {met} |")
            for note in self.notes.get(s, []):
                out.append("")
                out.append(note)
        return "\n".join(out) + "\n"

    def as_json(self, meta, limits_rows):
        cases = []
        for case in self.cases:
            rows = []
            for r in self.rows(case):
                row = {"metric": r["metric"].key, "label": r["metric"].label,
                       "unit": r["metric"].unit, "product": r["product"], "state": r["state"],
                       "reason": r["reason"]}
                if "values" in r:
                    row.update({"values": r["values"], "median": r["median"], "min": r["min"],
                                "max": r["max"], "capped": r["capped"], "ratio": r["ratio"],
                                "target": r["target"][2] if r["target"] else None,
                                "target_value": r["target"][1] if r["target"] else None,
                                "met": r["met"]})
                rows.append(row)
            cases.append({"scenario": case.scenario, "case": case.name, "rows": rows})
        return {"meta": meta, "limits": dict(limits_rows), "cases": cases}


def _fmt(digits):
    def f(v):
        if v is None:
            return "?"
        if digits == 0:
            return f"{v:,.0f}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{digits}f}"
    return f


def _ratio(r):
    if r is None:
        return ""
    if r == 0 or r >= 0.1:
        return f"×{r:.3g}"
    return f"×1/{1 / r:,.0f}"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")[:160]
