"""`python -m sandbox --port 8001 --seed 42 --profile demo`: run the sandbox exchange until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import threading

from sandbox.auth import Credentials
from sandbox.options import ACCOUNT_MODES, DENIALS
from sandbox.server import SandboxServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Credentials()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Bitget v2-compatible sandbox exchange"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--profile", default="demo", help="demo, bench, live, uta or a path to a JSON profile"
    )
    parser.add_argument("--api-key", default=defaults.api_key)
    parser.add_argument("--api-secret", default=defaults.api_secret)
    parser.add_argument("--passphrase", default=defaults.passphrase)
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429 for rate limits")
    # Defaults of None keep the profile's value (docs/sandbox.md, "Options").
    parser.add_argument(
        "--clock-offset-ms", type=int, default=None, help="server clock = local clock + N ms (may be < 0)"
    )
    parser.add_argument("--account-mode", choices=ACCOUNT_MODES, default=None, help="unified: v2 gives 40085")
    parser.add_argument(
        "--deny", choices=DENIALS, default=None, help="refuse signed calls: permission 40014, ip 40018"
    )
    parser.add_argument(
        "--envelope-message-key",
        action="store_true",
        default=None,
        help="spot history-orders success envelopes say 'message' instead of 'msg'",
    )
    parser.add_argument(
        "--empty-spot-history-null",
        action="store_true",
        default=None,
        help="an empty spot history-orders page answers data: null",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    credentials = Credentials(args.api_key, args.api_secret, args.passphrase)
    server = SandboxServer(
        args.profile,
        seed=args.seed,
        host=args.host,
        port=args.port,
        credentials=credentials,
        enforce_rate_limits=not args.no_rate_limits,
        clock_offset_ms=args.clock_offset_ms,
        account_mode=args.account_mode,
        deny=args.deny,
        envelope_message_key=args.envelope_message_key,
        empty_spot_history_null=args.empty_spot_history_null,
    )
    with server:
        # Printing the default credentials is intended: they only open this local sandbox.
        print(
            f"Bitget sandbox ({server.profile.name} profile, seed {args.seed}) at {server.base_url}",
            flush=True,
        )
        # A secret or passphrase of your own is not echoed back (it may be a real one reused by mistake).
        defaults = Credentials()
        secret = credentials.api_secret if credentials.api_secret == defaults.api_secret else "***"
        passphrase = credentials.passphrase if credentials.passphrase == defaults.passphrase else "***"
        print(f"  api key: {credentials.api_key}  secret: {secret}  passphrase: {passphrase}", flush=True)
        options = server.options
        print(
            f"  rate limits: {'off' if args.no_rate_limits else 'on'}; clock offset {options.clock_offset_ms} ms;"
            f" {options.account_mode} account; deny: {options.deny or 'none'}; Ctrl-C to stop",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
