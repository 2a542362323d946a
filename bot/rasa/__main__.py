"""``python -m bot.rasa <rasa arguments>``: Rasa's CLI with our plug-in installed.

Runs ``rasa.__main__.main()`` with the same ``sys.argv`` after
``bot.rasa.plugin.install()``, so ``python -m bot.rasa run …``, ``shell …``,
``test …`` and ``train …`` behave as ``rasa …`` does, plus our adjustments. First it
re-executes itself once with ``MALLOC_ARENA_MAX=2`` (``bot.rasa.malloc`` says why).
"""

from __future__ import annotations

import sys

from bot.rasa.malloc import reexec_with_arena_limit


def main() -> None:
    """Limit malloc arenas, install the adjustments, then hand the command line to Rasa."""
    reexec_with_arena_limit(sys.argv[1:])  # before Rasa imports TensorFlow
    from rasa.__main__ import main as rasa_main

    from bot.rasa.plugin import install

    install()
    rasa_main()


if __name__ == "__main__":
    main()
