"""The one plug-in that adjusts Rasa 3.6 for this bot, applied by one explicit call.

Two adjustments change how Rasa's ``RemoteAction`` talks to the action server, two
how the processor handles a message, and one how a trained model is loaded:

- ``bot.rasa.resilience``: an action-server outage (connection refused, timeout,
  HTTP 5xx) gets a polite "系统繁忙" with the right hotline instead of silence;
- ``bot.rasa.action_schema``: action responses are checked against Rasa's schema
  with a validator built once per process instead of once per call (≈ 40 ms a turn);
- ``bot.rasa.multi_request``: a message with two requests ("DB2热线多少？另外合同
  什么时候到期") is handled as two consecutive turns, so both are answered in order;
- ``bot.rasa.handoff_gate``: while a person has the conversation the bot stays quiet,
  the customer's messages reach the desk's transcript, and 取消 / CSAT answers /
  undelivered agent messages are handled around Rasa's ``handle_message``;
- ``bot.rasa.lean_load``: DIET and the ResponseSelector (TED too, were it configured)
  are loaded for prediction without Rasa's one-example training step (≈ 470 MB less memory, the
  same weights and predictions);
- ``bot.rasa.applied_events``: a tracker's applied events are carried forward over
  newly appended events instead of recomputed from the first event, three times a turn.

Why a launcher rather than a Rasa plug-in or an import side effect: Rasa 3.6's pluggy
plugin manager (``rasa/plugin.py``) discovers only the enterprise ``rasa_plus``
package — no entry points — so there is no hook through which a Rasa server loads
third-party code on its own. The adjustments used to be installed as a side effect of
importing our NLU components (``bot.nlu.components``), which made the NLU pipeline in
config.yml decide, invisibly, how action-server failures behave, and left any process
that did not load the model (or loaded it late) without them. Now every Rasa process
we start is started as ``python -m bot.rasa …`` (``bot/rasa/__main__.py``), which calls
:func:`install` and then Rasa's own CLI with the same arguments; a test starts the
server the way ``make run`` does and proves the adjustments are active in it.
"""

from __future__ import annotations

from bot.rasa import (
    action_schema,
    applied_events,
    handoff_gate,
    lean_load,
    multi_request,
    resilience,
)


def install() -> None:
    """Apply the adjustments to Rasa in this process; idempotent."""
    resilience.install()
    action_schema.install()
    # Before the gate, which then wraps it: a muted conversation is never split.
    multi_request.install()
    handoff_gate.install()
    lean_load.install()
    applied_events.install()


def installed() -> bool:
    """Whether every adjustment is active in this process."""
    return (
        resilience.installed()
        and action_schema.installed()
        and multi_request.installed()
        and handoff_gate.installed()
        and lean_load.installed()
        and applied_events.installed()
    )
