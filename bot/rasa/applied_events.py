"""Rasa's ``DialogueStateTracker.applied_events``, extended instead of recomputed.

Rasa 3.6 works out which of a conversation's events still apply (undoing reverted
turns and a form's rejected runs) from the first event on, every time it is asked:
about three times a turn (the session check twice, then each policy prediction),
each a pass over the whole conversation with several ``isinstance`` checks an
event. In ``bench.profile_turn`` that was the largest cost of the dialogue side.

The result is a left-to-right pass whose only look ahead is the set of form names
the conversation ever activates. So a tracker remembers its last result and, when
events were only appended since and they activate no new form, continues the pass
from there. Anything else (another ``events`` deque, a bounded deque, a new form
name, fewer events, a different last event) recomputes from the start with the same
steps. Each call returns a new list, as Rasa's does. :func:`install` is idempotent.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

_MARK = "_ppa_incremental"
MEMO_ATTRIBUTE = "_ppa_applied_memo"
# Rasa's own method (this module is the only one that replaces it): the tests' reference.
RASA_APPLIED_EVENTS = DialogueStateTracker.applied_events


@dataclass
class _Memo:
    """One computed result and what it was computed from."""

    events: deque  # the tracker's deque at the time (a new deque means start over)
    count: int
    last: Event | None
    loops: frozenset[str]
    applied: list[Event]

    @classmethod
    def of(cls, events: deque, loops: frozenset[str], applied: list[Event]) -> _Memo:
        """The memo of ``applied`` computed over all of ``events``."""
        return cls(events, len(events), events[-1] if events else None, loops, applied)

    def starts(self, events: deque) -> bool:
        """Whether ``events`` still begins with the events this memo was computed over.

        Rasa only appends to a tracker's events, so the count and the identity of the
        last one seen stand for the whole prefix.
        """
        if len(events) < self.count:
            return False
        return not self.count or events[self.count - 1] is self.last


def _loop_names(events: Iterable[Event]) -> set[str]:
    return {e.name for e in events if isinstance(e, ActiveLoop) and e.name}


def _apply(
    tracker: DialogueStateTracker,
    applied: list[Event],
    events: Iterable[Event],
    loop_names: frozenset[str],
) -> list[Event]:
    """Rasa 3.6's loop body of ``applied_events``, step for step."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def _continued(tracker: DialogueStateTracker, memo: _Memo | None) -> _Memo | None:
    """The memo carried forward over the events appended since, if that is exact."""
    events = tracker.events
    if memo is None or memo.events is not events or events.maxlen is not None:
        return None
    if not memo.starts(events):
        return None
    new = list(islice(events, memo.count, None))
    if not _loop_names(new) <= memo.loops:
        return None  # a form seen for the first time changes how earlier events count
    return _Memo.of(events, memo.loops, _apply(tracker, list(memo.applied), new, memo.loops))


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """All events that apply, without reverted ones (Rasa's semantics)."""
    memo = _continued(self, self.__dict__.get(MEMO_ATTRIBUTE))
    if memo is None:
        events = self.events
        loops = frozenset(_loop_names(events))
        memo = _Memo.of(events, loops, _apply(self, [], events, loops))
    self.__dict__[MEMO_ATTRIBUTE] = memo
    return list(memo.applied)


def share(source: DialogueStateTracker, target: DialogueStateTracker) -> None:
    """Give ``target`` the memo of ``source`` when both hold the same event objects.

    For a copy (same events, new deque) and for the store's cached tracker after it
    took a turn's new events: the next call on ``target`` then only reads what is
    appended after. The memo's own checks still run on every use.
    """
    memo = source.__dict__.get(MEMO_ATTRIBUTE)
    if memo is None or memo.events is not source.events or not memo.starts(target.events):
        return
    target.__dict__[MEMO_ATTRIBUTE] = dataclasses.replace(memo, events=target.events)


def installed() -> bool:
    """Whether :func:`install` has replaced Rasa's method in this process."""
    return bool(getattr(DialogueStateTracker.applied_events, _MARK, False))


def install() -> None:
    """Replace ``DialogueStateTracker.applied_events``; idempotent."""
    if installed():
        return
    method: Any = applied_events
    setattr(method, _MARK, True)
    DialogueStateTracker.applied_events = method  # type: ignore[method-assign]
