"""`bitget-orders`: the command-line client of the bitget-orders service (docs/cli.md).

It is built on the service's HTTP API only: every command is one or a few API calls, so what the CLI shows is
what the API says. `--embedded` runs the service inside the command's process for its duration and talks to it
over loopback HTTP, the same code path.
"""

__version__ = "1.0.0"
