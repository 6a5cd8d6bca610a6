"""`python -m terminal` is the same as the `blink-terminal` command."""

from terminal.cli import main

raise SystemExit(main())
