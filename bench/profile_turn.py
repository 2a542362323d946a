"""Where a turn's time goes: Rasa's own methods timed in-process.

``python -m bench.profile_turn [--rounds N]`` starts the real action server on a fresh
SQLite store, loads our model into an ``Agent`` with the same SQL tracker store and
action endpoint the Rasa server would use, runs the bench's case intake once to warm
up, then ``N`` times (default 3), and prints the mean milliseconds a turn spends in
each part (and how often a turn enters it). Wall time on a quiet machine; it is a
reading aid for the README's benchmark section, not a benchmark.
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
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.load import INTAKE_TURNS
from bench.report import format_table
from harness.model import MODEL
from harness.servers import make_stack

# (label, module, class, method) — the parts of a turn, outermost last.
PARTS: tuple[tuple[str, str, str, str], ...] = (
    ("NLU parse", "rasa.core.processor", "MessageProcessor", "parse_message"),
    (
        "policies (Rule, Memoization, TED)",
        "rasa.core.processor",
        "MessageProcessor",
        "_predict_next_with_tracker",
    ),
    ("action-server round trip", "rasa.core.actions.action", "RemoteAction", "run"),
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
        self.active = False

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
            return func(*args, **kwargs)
        finally:
            timings.add(label, time.perf_counter() - start)

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
        original = cls.__dict__[method]
        originals.append((cls, method, original))
        setattr(cls, method, _timed(label, original, timings))
    try:
        yield
    finally:
        for cls, method, original in originals:
            setattr(cls, method, original)


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
        stack = make_stack(Path(name), MODEL, tracker_kind=kind)
        stack.start_actions()
        try:
            endpoints = AvailableEndpoints.read_endpoints(str(Path(name) / "endpoints.yml"))
            store = TrackerStore.create(endpoints.tracker_store)
            agent = Agent.load(str(MODEL), action_endpoint=endpoints.action, tracker_store=store)
            store_name = type(store).__name__
            with instrumented(timings, type(store)):
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
