"""Random conversations built from the events that decide a tracker's state."""

from __future__ import annotations

import random

from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

FORMS = ("outage_form", "case_form", "contract_form")


def random_event(rng: random.Random, forms: tuple[str, ...]) -> Event:
    """One event of the kinds that decide what applies, in a plausible mix."""
    form = rng.choice(forms)
    return rng.choice(
        [
            lambda: UserUttered("好", {"name": "affirm"}),
            lambda: UserUttered("报修", {"name": "report_outage"}),
            lambda: ActionExecuted("action_listen"),
            lambda: ActionExecuted(form),
            lambda: ActionExecuted(form),
            lambda: ActionExecuted("utter_faq"),
            lambda: ActiveLoop(form),
            lambda: ActiveLoop(None),
            lambda: ActionExecutionRejected(form),
            lambda: SlotSet("requested_slot", "phone"),
            lambda: BotUttered("您好"),
            lambda: ActionReverted(),
            lambda: UserUtteranceReverted(),
            lambda: Restarted(),
            lambda: SessionStarted(),
        ]
    )()
