"""`python -m bot` is `louzu`."""

from bot.cli import main

raise SystemExit(main())
