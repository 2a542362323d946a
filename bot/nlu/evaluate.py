"""Measure the trained NLU on the held-out set (``tests/nlu_test.yml``).

``python -m bot.nlu.evaluate`` prints the summary table, writes
``results/nlu_summary.json`` and runs ``rasa test nlu`` for Rasa's own reports
(intent / entity / response-selection reports, confusion matrices) under
``results/``. The test suite calls :func:`evaluate` and gates on the thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.nlu.vocabulary import compact, default_vocabulary
from bot.textnorm import to_halfwidth, to_simplified
from bot.validators import normalise_case_id, parse_email, parse_phone

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "nlu_test.yml"
RESULTS = ROOT / "results"
GATED_ENTITIES = ("product", "phone", "email", "contract_number", "customer_number", "case_id")
THRESHOLDS = {"intent_macro_f1": 0.95, "faq_accuracy": 0.95, "entity_f1": 0.90}


@dataclass
class NluReport:
    """Scores on the held-out set, plus the misses for reading."""

    examples: int
    intent_macro_f1: float
    intent_accuracy: float
    faq_accuracy: float
    entity_f1: dict[str, float]
    parse_ms_p50: float
    parse_ms_p95: float
    parse_ms_p99: float
    intent_errors: list[dict[str, str]] = field(default_factory=list)
    entity_errors: list[dict[str, object]] = field(default_factory=list)
    faq_errors: list[dict[str, str]] = field(default_factory=list)

    def failures(self) -> list[str]:
        """Which gates the report misses (empty when all pass)."""
        out = []
        if self.intent_macro_f1 < THRESHOLDS["intent_macro_f1"]:
            out.append(f"intent macro-F1 {self.intent_macro_f1:.3f}")
        if self.faq_accuracy < THRESHOLDS["faq_accuracy"]:
            out.append(f"faq accuracy {self.faq_accuracy:.3f}")
        for name in GATED_ENTITIES:
            if self.entity_f1.get(name, 0.0) < THRESHOLDS["entity_f1"]:
                out.append(f"{name} F1 {self.entity_f1.get(name, 0.0):.3f}")
        return out


def _canonical(entity: str, value: str) -> str:
    """One spelling per value so "PMR-261126-0427" equals "pmr2611260427"."""
    value = to_simplified(to_halfwidth(str(value)))
    if entity == "phone":
        return parse_phone(value) or compact(value)
    if entity == "email":
        return parse_email(value) or value.lower()
    if entity == "case_id":
        return normalise_case_id(value) or compact(value)
    if entity == "region":
        return default_vocabulary().catalogue.region_of(value) or compact(value)
    if entity == "product":
        product = default_vocabulary().catalogue.product(value)
        return product.name if product else compact(value)
    return re.sub(r"[\s-]", "", compact(value))


def _macro_f1(gold: list[str], pred: list[str]) -> float:
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


async def _evaluate(model_path: Path, test_path: Path) -> NluReport:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(model_path))
    data = load_data(str(test_path))
    gold_intents: list[str] = []
    pred_intents: list[str] = []
    faq_total = faq_right = 0
    counts: dict[str, Counter] = defaultdict(Counter)
    intent_errors: list[dict[str, str]] = []
    entity_errors: list[dict[str, object]] = []
    faq_errors: list[dict[str, str]] = []
    latencies: list[float] = []
    for example in data.intent_examples:
        text = example.get("text")
        start = time.perf_counter()
        parsed = await agent.parse_message(text)
        latencies.append((time.perf_counter() - start) * 1000)
        gold = str(example.get("intent"))
        pred = str((parsed.get("intent") or {}).get("name"))
        gold_intents.append(gold)
        pred_intents.append(pred)
        if gold != pred:
            intent_errors.append({"text": text, "gold": gold, "predicted": str(pred)})
        full = example.get("intent_response_key")
        if full:
            faq_total += 1
            selected = (
                parsed.get("response_selector", {})
                .get("faq", {})
                .get("response", {})
                .get("intent_response_key")
            )
            hit = pred == "faq" and selected == full
            faq_right += int(hit)
            if not hit:
                faq_errors.append(
                    {
                        "text": text,
                        "gold": full,
                        "predicted": str(selected if pred == "faq" else pred),
                    }
                )
        gold_ents = {
            (e["entity"], _canonical(e["entity"], e["value"]))
            for e in example.get("entities") or []
        }
        pred_ents = {
            (e["entity"], _canonical(e["entity"], e["value"])) for e in parsed.get("entities") or []
        }
        for name in {n for n, _ in gold_ents | pred_ents}:
            g = {v for n, v in gold_ents if n == name}
            p = {v for n, v in pred_ents if n == name}
            counts[name]["tp"] += len(g & p)
            counts[name]["fp"] += len(p - g)
            counts[name]["fn"] += len(g - p)
        if gold_ents != pred_ents:
            entity_errors.append(
                {"text": text, "gold": sorted(gold_ents), "predicted": sorted(pred_ents)}
            )
    entity_f1 = {}
    for name, c in counts.items():
        denom = 2 * c["tp"] + c["fp"] + c["fn"]
        entity_f1[name] = 2 * c["tp"] / denom if denom else 1.0
    n = len(gold_intents)
    return NluReport(
        examples=n,
        intent_macro_f1=_macro_f1(gold_intents, pred_intents),
        intent_accuracy=sum(g == p for g, p in zip(gold_intents, pred_intents, strict=True)) / n
        if n
        else 0.0,
        faq_accuracy=faq_right / faq_total if faq_total else 0.0,
        entity_f1=dict(sorted(entity_f1.items())),
        parse_ms_p50=_percentile(latencies, 0.50),
        parse_ms_p95=_percentile(latencies, 0.95),
        parse_ms_p99=_percentile(latencies, 0.99),
        intent_errors=intent_errors,
        entity_errors=entity_errors,
        faq_errors=faq_errors,
    )


def evaluate(model_path: Path, test_path: Path = TEST_DATA) -> NluReport:
    """Parse every held-out example with the model and score it."""
    return asyncio.run(_evaluate(model_path, test_path))


def summary_table(report: NluReport) -> str:
    """A plain-text table of the scores against the gates."""
    rows: list[tuple[str, str, str]] = [
        ("intent macro-F1", f"{report.intent_macro_f1:.3f}", f"≥ {THRESHOLDS['intent_macro_f1']}"),
        ("intent accuracy", f"{report.intent_accuracy:.3f}", ""),
        ("faq response accuracy", f"{report.faq_accuracy:.3f}", f"≥ {THRESHOLDS['faq_accuracy']}"),
    ]
    for name, f1 in report.entity_f1.items():
        gate = f"≥ {THRESHOLDS['entity_f1']}" if name in GATED_ENTITIES else ""
        rows.append((f"entity F1: {name}", f"{f1:.3f}", gate))
    rows.append(
        (
            "parse p50 / p95 / p99 (ms)",
            f"{report.parse_ms_p50:.1f} / {report.parse_ms_p95:.1f} / {report.parse_ms_p99:.1f}",
            "",
        )
    )
    width = max(len(r[0]) for r in rows)
    lines = [f"held-out examples: {report.examples}"]
    lines += [f"{name.ljust(width)}  {value:>20}  {gate}" for name, value, gate in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the summary, write results/, run Rasa's own report generator."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "ppa.tar.gz"))
    parser.add_argument("--nlu", default=str(TEST_DATA))
    parser.add_argument("--skip-rasa-reports", action="store_true")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if not args.skip_rasa_reports:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "test",
                "nlu",
                "--model",
                args.model,
                "--nlu",
                args.nlu,
                "--out",
                str(RESULTS),
            ],
            check=True,
        )
    report = evaluate(Path(args.model), Path(args.nlu))
    (RESULTS / "nlu_summary.json").write_text(
        json.dumps(asdict(report), ensure_ascii=False, indent=2), "utf-8"
    )
    print(summary_table(report))
    failures = report.failures()
    if failures:
        print("below the gates: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
