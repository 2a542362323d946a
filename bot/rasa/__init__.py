"""Our adjustments to Rasa itself, installed on purpose by the process that runs Rasa.

``bot.rasa.plugin.install()`` applies them; ``python -m bot.rasa <rasa arguments>``
installs them and then runs Rasa's own CLI. See ``bot.rasa.plugin`` for why.
"""
