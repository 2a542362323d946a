"""``python -m bot``: the staff command line (see ``bot.cli``)."""

from bot.cli import main

raise SystemExit(main())
