"""PPA 智能客服: the domain package, plus its Rasa plug-ins and channels.

The domain (store, catalogue, services, CLI) is testable without Rasa; only
``bot.nlu`` (NLU components), ``bot.rasa`` (adjustments to Rasa, installed by
``python -m bot.rasa``) and ``bot.channels`` import Rasa. The Rasa actions in
``actions/`` are thin wrappers around the domain.
"""
