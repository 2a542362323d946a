"""Where a turn's time goes: Rasa's own methods timed in-process.

``python -m bench.profile_turn [--rounds N]`` starts the real action server on a fresh
SQLite store, loads our model into an ``Agent`` with the same SQL tracker store and
action endpoint the Rasa server would use, runs the bench's case intake once to warm
up, then ``N`` times (default 3), and prints the mean milliseconds a turn spends in
each part (and how often a turn enters it), and which policy decided each of the
ensemble's predictions. Wall time on a quiet machine; it is a reading aid for the
README's benchmark section, not a benchmark. ``--model PATH`` profiles another
model (e.g. one trained with another policy ensemble), ``--rasa-tracker-store``
Rasa's own ``SQLTrackerStore`` instead of the one ``endpoints.yml`` configures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.load import INTAKE_TURNS
from bench.report import format_table
from harness.model import MODEL
from harness.servers import make_stack

# The ensemble's choice: its result names the policy that decided the next action.
ENSEMBLE = "policies (Rule, Memoization, TED)"
# (label, module, class, method) — the parts of a turn, outermost last.
PARTS: tuple[tuple[str, str, str, str], ...] = (
    ("NLU parse", "rasa.core.processor", "MessageProcessor", "parse_message"),
    (
        "  of which: spaCy pipeline (jieba, entity rules)",
        "rasa.nlu.utils.spacy_utils",
        "SpacyNLP",
        "process",
    ),
    (
        "  of which: SpacyTokenizer",
        "rasa.nlu.tokenizers.spacy_tokenizer",
        "SpacyTokenizer",
        "process",
    ),
    (
        "  of which: SpacyEntityExtractor",
        "rasa.nlu.extractors.spacy_entity_extractor",
        "SpacyEntityExtractor",
        "process",
    ),
    (
        "  of which: LexicalSyntacticFeaturizer",
        "rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer",
        "LexicalSyntacticFeaturizer",
        "process",
    ),
    (
        "  of which: CountVectorsFeaturizer (both)",
        "rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer",
        "CountVectorsFeaturizer",
        "process",
    ),
    (
        "  of which: DIETClassifier",
        "rasa.nlu.classifiers.diet_classifier",
        "DIETClassifier",
        "process",
    ),
    (
        "  of which: ResponseSelector",
        "rasa.nlu.selectors.response_selector",
        "ResponseSelector",
        "process",
    ),
    (
        ENSEMBLE,
        "rasa.core.processor",
        "MessageProcessor",
        "_predict_next_with_tracker",
    ),
    (
        "  of which: RulePolicy",
        "rasa.core.policies.rule_policy",
        "RulePolicy",
        "predict_action_probabilities",
    ),
    (
        "  of which: MemoizationPolicy",
        "rasa.core.policies.memoization",
        "MemoizationPolicy",
        "predict_action_probabilities",
    ),
    (
        "  of which: TEDPolicy",
        "rasa.core.policies.ted_policy",
        "TEDPolicy",
        "predict_action_probabilities",
    ),
    (
        "    of which: TED featurisation",
        "rasa.core.policies.ted_policy",
        "TEDPolicy",
        "_featurize_tracker",
    ),
    ("action-server round trip", "rasa.core.actions.action", "RemoteAction", "run"),
    (
        "  of which: tracker to JSON for the call",
        "rasa.core.actions.action",
        "RemoteAction",
        "_action_call_format",
    ),
    (
        "  of which: response schema check",
        "rasa.core.actions.action",
        "RemoteAction",
        "_validate_action_result",
    ),
    # module and class "" stand for the tracker store in use (see store_parts)
    ("tracker store: retrieve", "", "", "retrieve"),
    ("tracker store: save", "", "", "save"),
    ("whole turn (handle_message)", "rasa.core.processor", "MessageProcessor", "handle_message"),
)


class Timings:
    """Accumulated seconds and calls per label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        # Which policy's prediction the ensemble chose, per prediction.
        self.winners: Counter[str] = Counter()
        self.active = False

    def note(self, label: str, result: Any) -> None:
        """Count the policy behind the ensemble's prediction (its ``policy_name``)."""
        name = getattr(result, "policy_name", None)
        if self.active and label == ENSEMBLE and name:
            self.winners[str(name).split("_")[-1]] += 1  # "0_RulePolicy" → "RulePolicy"

    def add(self, label: str, seconds: float) -> None:
        if self.active:
            self.seconds[label] += seconds
            self.calls[label] += 1


def _timed(label: str, func: Any, timings: Timings) -> Any:
    if asyncio.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                timings.add(label, time.perf_counter() - start)

        return async_wrapper

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        finally:
            timings.add(label, time.perf_counter() - start)
        timings.note(label, result)
        return result

    return wrapper


@contextlib.contextmanager
def instrumented(timings: Timings, store_class: type) -> Iterator[None]:
    """Wrap every part in PARTS with a timer; restore the originals afterwards.

    The tracker store's parts are timed on ``store_class``, the configured store.
    """
    import importlib

    originals = []
    for label, module, cls_name, method in PARTS:
        cls = getattr(importlib.import_module(module), cls_name) if module else store_class
        own = cls.__dict__.get(method)  # None: inherited (SpacyTokenizer's process)
        originals.append((cls, method, own))
        setattr(cls, method, _timed(label, getattr(cls, method), timings))
    try:
        yield
    finally:
        for cls, method, own in reversed(originals):
            if own is None:
                delattr(cls, method)
            else:
                setattr(cls, method, own)


async def run_intakes(agent: Any, rounds: int, timings: Timings) -> int:
    """One untimed intake, then ``rounds`` timed ones; the number of timed turns."""
    for round_no in range(rounds + 1):
        timings.active = round_no > 0
        for text in INTAKE_TURNS:
            await agent.handle_text(text, sender_id=f"profile-{round_no}")
    return rounds * len(INTAKE_TURNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", type=Path, default=MODEL, help="default: the trained model")
    parser.add_argument(
        "--rasa-tracker-store",
        action="store_true",
        help="Rasa's SQLTrackerStore instead of the one endpoints.yml configures",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's debug lines would be timed too
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints

    import bot.nlu.components  # noqa: F401  (registers our NLU components)
    from bot.rasa.plugin import install

    install()  # our Rasa plug-in, as `python -m bot.rasa run` installs it

    timings = Timings()
    with tempfile.TemporaryDirectory(prefix="ppa-profile-") as name:
        kind = "  type: SQL\n" if args.rasa_tracker_store else None
        stack = make_stack(Path(name), args.model, tracker_kind=kind)
        stack.start_actions()
        try:
            endpoints = AvailableEndpoints.read_endpoints(str(Path(name) / "endpoints.yml"))
            store = TrackerStore.create(endpoints.tracker_store)
            store_name = type(store).__name__
            # Around the load too: Rasa's graph binds the policies' methods when it loads.
            with instrumented(timings, type(store)):
                agent = Agent.load(
                    str(args.model), action_endpoint=endpoints.action, tracker_store=store
                )
                turns = asyncio.run(run_intakes(agent, args.rounds, timings))
        finally:
            stack.stop_all()
    rows = [
        [
            label,
            f"{timings.seconds[label] * 1000 / turns:.1f}",
            f"{timings.calls[label] / turns:.2f}",
        ]
        for label, *_ in PARTS
    ]
    print(f"mean over {turns} turns ({args.rounds} intakes after one warm-up), {store_name}")
    print(format_table(["part", "ms a turn", "calls a turn"], rows))
    chosen = ", ".join(f"{name} {count}" for name, count in timings.winners.most_common())
    print(f"the ensemble's predictions came from: {chosen}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
