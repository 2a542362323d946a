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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sklearn.metrics import accuracy_score, f1_score

from bot.nlu.vocabulary import compact, default_vocabulary
from bot.stats import percentile
from bot.textnorm import to_halfwidth, to_simplified
from bot.validators import normalise_case_id, parse_email, parse_phone

if TYPE_CHECKING:
    from rasa.core.agent import Agent

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


def intent_macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Macro-F1 over the held-out set's own intents.

    Args:
        gold: the annotated intent of each example.
        pred: the model's intent of each example, in the same order.

    Returns:
        The unweighted mean of the per-intent F1 (a label only ever predicted adds no
        class; an intent never predicted scores 0); 0.0 for no examples.
    """
    if not gold:
        return 0.0
    return float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0))


def entity_f1(
    gold: Sequence[set[tuple[str, str]]], pred: Sequence[set[tuple[str, str]]]
) -> dict[str, float]:
    """F1 per entity type over the (type, canonical value) pairs of each example.

    Args:
        gold: the annotated pairs of each example.
        pred: the extracted pairs of each example, in the same order.

    Returns:
        Entity type → F1, for every type annotated or extracted at least once.
    """
    # One binary decision per pair that either side has: found (pred) vs there (gold).
    marks: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for gold_pairs, pred_pairs in zip(gold, pred, strict=True):
        for pair in sorted(gold_pairs | pred_pairs):
            there, found = marks[pair[0]]
            there.append(int(pair in gold_pairs))
            found.append(int(pair in pred_pairs))
    return {
        name: float(f1_score(there, found, zero_division=1))
        for name, (there, found) in sorted(marks.items())
    }


def load_agent(model: Path | Agent) -> Agent:
    """The model's agent: loaded from a path, or the one given (load once, parse often)."""
    from rasa.core.agent import Agent

    return model if isinstance(model, Agent) else Agent.load(str(model))


async def _evaluate(model: Path | Agent, test_path: Path) -> NluReport:
    from rasa.shared.nlu.training_data.loading import load_data

    agent = load_agent(model)
    data = load_data(str(test_path))
    gold_intents: list[str] = []
    pred_intents: list[str] = []
    faq_total = faq_right = 0
    gold_entities: list[set[tuple[str, str]]] = []
    pred_entities: list[set[tuple[str, str]]] = []
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
        gold_entities.append(gold_ents)
        pred_entities.append(pred_ents)
        if gold_ents != pred_ents:
            entity_errors.append(
                {"text": text, "gold": sorted(gold_ents), "predicted": sorted(pred_ents)}
            )
    return NluReport(
        examples=len(gold_intents),
        intent_macro_f1=intent_macro_f1(gold_intents, pred_intents),
        intent_accuracy=float(accuracy_score(gold_intents, pred_intents)) if gold_intents else 0.0,
        faq_accuracy=faq_right / faq_total if faq_total else 0.0,
        entity_f1=entity_f1(gold_entities, pred_entities),
        parse_ms_p50=percentile(latencies, 50),
        parse_ms_p95=percentile(latencies, 95),
        parse_ms_p99=percentile(latencies, 99),
        intent_errors=intent_errors,
        entity_errors=entity_errors,
        faq_errors=faq_errors,
    )


def evaluate(model: Path | Agent, test_path: Path = TEST_DATA) -> NluReport:
    """Parse every held-out example with the model (a path or a loaded agent) and score it."""
    return asyncio.run(_evaluate(model, test_path))


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
        # Our own interpreter; the paths are the caller's own command-line arguments.
        subprocess.run(  # noqa: S603
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
