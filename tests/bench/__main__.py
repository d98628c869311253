"""`python -m tests.bench` (or `make bench`): reply latency through the puppet service, see latency.py."""

from tests.bench.latency import main

raise SystemExit(main())
