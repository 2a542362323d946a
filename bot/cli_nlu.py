"""``python -m bot nlu review``: what the bot misunderstood, labelled for retraining.

Registered by ``bot.cli.build_parser``. The list is the one the desk's report shows
(``NluMissRepository.groups``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli import EXIT_FAILED, EXIT_OK, Output, _json, format_table
from bot.services.nlu_review import (
    DOMAIN_FILE,
    EXPORT_FILE,
    check_label,
    export_training_file,
    miss_outcome,
    trainable_labels,
)
from bot.store import Database
from bot.store.nlu_misses import NluMissRepository


async def cmd_review(db: Database, args: argparse.Namespace, out: Output) -> int:
    """List misunderstood messages grouped by text, most frequent first."""
    groups = await NluMissRepository(db).groups(limit=args.limit)
    if args.json:
        out.print(_json([g.to_dict() for g in groups]))
        return EXIT_OK
    rows = [
        [
            str(g.id),
            str(g.count),
            g.text,
            f"{g.guess} {g.confidence:.2f}" if g.guess and g.confidence is not None else "—",
            f"{miss_outcome(g.kind)} {g.kind}",
            g.label or "",
            out.time(g.last_seen),
        ]
        for g in groups
    ]
    headers = [
        "ID",
        "次数 Count",
        "消息 Text",
        "模型猜测 Guess",
        "机器人 Bot",
        "标注 Label",
        "最近 Last",
    ]
    out.print(format_table(headers, rows) if rows else "暂无 nothing to review")
    return EXIT_OK


async def cmd_review_label(db: Database, args: argparse.Namespace, out: Output) -> int:
    """Label the message group of ID with a domain intent."""
    try:
        check_label(args.intent, trainable_labels(Path(args.domain)))
    except ValueError as error:
        out.error(f"无效意图 {error}")
        return EXIT_FAILED
    labelled = await NluMissRepository(db).label(args.id, args.intent)
    if not labelled:
        out.error(f"没有这条记录 no message with id {args.id}")
        return EXIT_FAILED
    out.print(f"已标注 labelled {labelled} message(s) as {args.intent}")
    return EXIT_OK


async def cmd_review_export(db: Database, args: argparse.Namespace, out: Output) -> int:
    """Write the labelled messages as a Rasa NLU training file."""
    written = await export_training_file(NluMissRepository(db), Path(args.out))
    out.print(f"已导出 wrote {written} example(s) to {args.out}")
    return EXIT_OK


def register(commands: Any) -> None:
    """Add ``nlu review [label | export]`` to ``python -m bot``."""
    nlu = commands.add_parser("nlu", help="NLU review").add_subparsers(dest="action", required=True)
    review = nlu.add_parser("review", help="misunderstood messages by frequency")
    review.add_argument("--json", action="store_true")
    review.add_argument("--limit", type=int, default=None, help="show the N most frequent")
    review.set_defaults(run=cmd_review)
    steps = review.add_subparsers(dest="step")
    label = steps.add_parser("label", help="label a message (and its repeats) with an intent")
    label.add_argument("id", type=int)
    label.add_argument("intent", help="an intent of domain.yml, faq/<topic> for FAQs")
    label.add_argument("--domain", default=str(DOMAIN_FILE), help=argparse.SUPPRESS)
    label.set_defaults(run=cmd_review_label)
    export = steps.add_parser("export", help="write the labelled ones as Rasa training data")
    export.add_argument("--out", default=str(EXPORT_FILE), help=f"default {EXPORT_FILE}")
    export.set_defaults(run=cmd_review_export)
