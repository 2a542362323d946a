"""PPA 智能客服: the domain package (store, catalogue, services, channels, CLI).

Everything here is testable without Rasa; the Rasa actions in ``actions/`` are thin
wrappers around these modules.
"""
