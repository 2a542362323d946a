"""``python -m bot.rasa <rasa arguments>``: Rasa's CLI with our plug-in installed.

Runs ``rasa.__main__.main()`` with the same ``sys.argv`` after
``bot.rasa.plugin.install()``, so ``python -m bot.rasa run …``, ``shell …``,
``test …`` and ``train …`` behave as ``rasa …`` does, plus our adjustments.
"""

from __future__ import annotations

from rasa.__main__ import main as rasa_main

from bot.rasa.plugin import install


def main() -> None:
    """Install the adjustments, then hand the command line to Rasa."""
    install()
    rasa_main()


if __name__ == "__main__":
    main()
