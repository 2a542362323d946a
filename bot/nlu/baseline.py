"""Our NLU against a plain baseline, and the open-world rates (issue #13).

The baseline is the "10-line" classifier: character 1–3-gram TF-IDF + logistic
regression, trained on exactly the NLU examples Rasa trains on (Rasa's own importer
over ``config.yml`` / ``domain.yml`` / ``data/``). For each held-out file
:func:`compare` reports both intent macro-F1s and the error ratio
(1 − ours) / (1 − baseline); for the off-topic file also the share handled as
off-topic and the share that would start a flow.

The six development sets (``DEV``) are scored the same way. They were written apart
from the training data too, but they are for choosing: the DomainGate's word lists
and the model's configuration are tuned on them, so only the held-out files say
how the bot does on messages nobody looked at.

``python -m bot.nlu.baseline`` prints the table and writes ``results/baseline.json``
(aggregate figures only: the held-out messages are never printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline, make_pipeline

from bot.nlu.evaluate import load_agent

if TYPE_CHECKING:
    from rasa.core.agent import Agent

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
MODEL = ROOT / "models" / "ppa.tar.gz"
HELD_OUT = {
    "test": ROOT / "tests" / "nlu_test.yml",
    "noisy": ROOT / "tests" / "nlu_heldout_noisy.yml",
    "noisy 3": ROOT / "tests" / "nlu_heldout_noisy3.yml",
    "offtopic": ROOT / "tests" / "nlu_offtopic.yml",
}
DEV = {
    "dev noisy": ROOT / "tests" / "nlu_dev_noisy.yml",
    "dev offtopic": ROOT / "tests" / "nlu_dev_offtopic.yml",
    "dev mixed": ROOT / "tests" / "nlu_dev_mixed.yml",
    "dev 4a": ROOT / "tests" / "nlu_dev_4a.yml",
    "dev 4b": ROOT / "tests" / "nlu_dev_4b.yml",
    "dev 5": ROOT / "tests" / "nlu_dev_5.yml",
}
OUT_OF_SCOPE = "out_of_scope"
# The FallbackClassifier's "please rephrase" is also not an answer on a topic.
OFF_TOPIC = frozenset({OUT_OF_SCOPE, "nlu_fallback"})
# Intents that start a form or an action with consequences (hotline, intake,
# contract, case status, escalation, handoff).
FLOW_INTENTS = frozenset(
    {
        "find_hotline",
        "report_outage",
        "check_contract",
        "check_case_status",
        "escalate_case",
        "human_handoff",
    }
)


@dataclass
class Comparison:
    """One held-out file: our figures next to the baseline's."""

    name: str
    examples: int
    ours_macro_f1: float
    baseline_macro_f1: float
    error_ratio: float
    off_topic_rate: float
    flow_start_rate: float
    baseline_off_topic_rate: float
    baseline_flow_start_rate: float


def _examples(data: Any) -> list[tuple[str, str]]:
    """``(text, intent)`` pairs; retrieval intents count as their base (``faq``)."""
    return [(str(m.get("text")), str(m.get("intent"))) for m in data.intent_examples]


def training_examples(root: Path = ROOT) -> list[tuple[str, str]]:
    """The NLU examples ``rasa train`` uses, loaded by Rasa's own importer."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(root / "config.yml"), str(root / "domain.yml"), [str(root / "data")]
    )
    return _examples(importer.get_nlu_data())


def held_out_examples(path: Path) -> list[tuple[str, str]]:
    """The labelled messages of one held-out file."""
    from rasa.shared.nlu.training_data.loading import load_data

    return _examples(load_data(str(path)))


def train_baseline(examples: Sequence[tuple[str, str]]) -> Pipeline:
    """Char 1–3-gram TF-IDF + logistic regression on ``examples``."""
    model = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=True, sublinear_tf=True),
        LogisticRegression(max_iter=2000),
    )
    texts, labels = zip(*examples, strict=True)
    model.fit(list(texts), list(labels))
    return model


def _canonical(intent: str) -> str:
    return OUT_OF_SCOPE if intent in OFF_TOPIC else intent


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the gold labels; a fallback counts as out_of_scope."""
    labels = sorted({_canonical(g) for g in gold})
    return float(
        f1_score(
            [_canonical(g) for g in gold],
            [_canonical(p) for p in predicted],
            labels=labels,
            average="macro",
            zero_division=0,
        )
    )


def rates(predicted: Sequence[str]) -> tuple[float, float]:
    """Shares of messages handled as off-topic and that would start a flow."""
    total = len(predicted) or 1
    off = sum(1 for p in predicted if p in OFF_TOPIC) / total
    flows = sum(1 for p in predicted if p in FLOW_INTENTS) / total
    return off, flows


def error_ratio(ours: float, baseline: float) -> float:
    """(1 − ours) / (1 − baseline): below 1 means fewer errors than the baseline."""
    return (1.0 - ours) / (1.0 - baseline) if baseline < 1.0 else float("inf")


def score(
    name: str, gold: Sequence[str], ours: Sequence[str], baseline: Sequence[str]
) -> Comparison:
    """Every figure for one file from the three label lists."""
    ours_f1, base_f1 = macro_f1(gold, ours), macro_f1(gold, baseline)
    off, flows = rates(ours)
    base_off, base_flows = rates(baseline)
    return Comparison(
        name=name,
        examples=len(gold),
        ours_macro_f1=round(ours_f1, 4),
        baseline_macro_f1=round(base_f1, 4),
        error_ratio=round(error_ratio(ours_f1, base_f1), 4),
        off_topic_rate=round(off, 4),
        flow_start_rate=round(flows, 4),
        baseline_off_topic_rate=round(base_off, 4),
        baseline_flow_start_rate=round(base_flows, 4),
    )


async def _our_intents(model: Path | Agent, texts: Sequence[str]) -> list[str]:
    agent = load_agent(model)
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append(str((parsed.get("intent") or {}).get("name")))
    return out


def compare(
    model: Path | Agent = MODEL, held_out: dict[str, Path] | None = None
) -> list[Comparison]:
    """Our model (a path or a loaded agent) and the baseline on each held-out and dev file."""
    files = held_out or {**HELD_OUT, **DEV}
    baseline = train_baseline(training_examples())
    sets = {name: held_out_examples(path) for name, path in files.items()}
    texts = [text for examples in sets.values() for text, _ in examples]
    ours = iter(asyncio.run(_our_intents(model, texts)))
    results = []
    for name, examples in sets.items():
        set_texts = [text for text, _ in examples]
        gold = [intent for _, intent in examples]
        ours_here = [next(ours) for _ in examples]
        base_here = [str(p) for p in baseline.predict(set_texts)]
        results.append(score(name, gold, ours_here, base_here))
    return results


def table(results: Sequence[Comparison]) -> str:
    """The README table: one row per held-out file."""
    lines = [
        "| held-out set | n | intent macro-F1 | baseline macro-F1 | error ratio "
        "| off-topic handled | flow starts |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.examples} | {r.ours_macro_f1:.3f} | {r.baseline_macro_f1:.3f} "
            f"| {r.error_ratio:.2f} | {r.off_topic_rate:.1%} "
            f"(baseline {r.baseline_off_topic_rate:.1%}) | {r.flow_start_rate:.1%} "
            f"(baseline {r.baseline_flow_start_rate:.1%}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the comparison and write ``results/baseline.json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    results = compare(args.model)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "baseline.json").write_text(
        json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
