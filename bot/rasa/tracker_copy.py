"""A copy of a tracker equal to Rasa's ``DialogueStateTracker.copy()``, without the replay.

Rasa copies a tracker by building an empty one and applying every event again (≈ 200
at the end of an intake, ≈ 1 ms a turn here); ``CachedSQLTrackerStore`` hands out
such a copy on every ``retrieve``. The state those events produce is already in the
tracker, so :func:`copy_tracker` copies that state instead: a new events deque with
the same event objects (as Rasa's copy shares them), each slot copied as Rasa's
``init_copy`` does, the active loop (which events change in place) copied, the
attributes ``init_copy`` does not carry reset as it resets them. A tracker holding
anything else this module does not know (a mutable attribute a newer Rasa adds, a
slot dict that is not a plain dict) is copied by Rasa's ``copy()``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import deque

from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa import applied_events

# Rebuilt below; everything else must be immutable to be shared.
_REBUILT = frozenset({"events", "slots", "active_loop", "latest_action"})
# What ``init_copy`` does not pass on: a copy starts without them, as in Rasa.
_NOT_CARRIED = {"sender_source": None, "model_id": None, "assistant_id": None}
_IMMUTABLE = (str, int, float, bool, type(None), tuple, frozenset)
# The latest user and bot events: Rasa's copy shares these event objects (events such
# as ``EntitiesAdded`` change them in place); the empty ones after a reset are its own.
_LATEST = {"latest_message": UserUttered, "latest_bot_utterance": BotUttered}


def _plain(tracker: DialogueStateTracker) -> bool:
    """Whether every attribute is one this module copies correctly."""
    if type(tracker) is not DialogueStateTracker or type(tracker.slots) is not dict:
        return False
    for name, value in vars(tracker).items():
        if name in _REBUILT or name in _LATEST or name == applied_events.MEMO_ATTRIBUTE:
            continue
        if not isinstance(value, _IMMUTABLE):
            return False
    return True


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker in the state ``tracker.copy()`` would give, sharing no mutable state."""
    if not _plain(tracker):
        return tracker.copy()
    new = object.__new__(DialogueStateTracker)
    new.__dict__.update(vars(tracker))
    new.__dict__.update(_NOT_CARRIED)
    new.events = deque(tracker.events, maxlen=tracker.events.maxlen)
    new.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    new.active_loop = (
        dataclasses.replace(tracker.active_loop) if tracker.active_loop is not None else None
    )
    new.latest_action = dict(tracker.latest_action) if tracker.latest_action is not None else None
    for name, kind in _LATEST.items():
        latest = getattr(tracker, name)
        if latest is not None and latest is not _last(tracker.events, kind):
            setattr(new, name, copy.deepcopy(latest))  # a reset's empty one, not an event
    new.__dict__.pop(applied_events.MEMO_ATTRIBUTE, None)
    applied_events.share(tracker, new)
    return new


def _last(events: deque, kind: type) -> Event | None:
    """The newest event of ``kind`` (a few events back: one turn at most)."""
    return next((e for e in reversed(events) if isinstance(e, kind)), None)
