"""bitget_orders/cli.py and the commands' argument handling: bad arguments exit 1 with a message saying what to
do, before anything is sent (no service runs here); what the API is sent; how its errors read."""

from __future__ import annotations

import pytest

from bitget_orders.api_client import Source, describe_detail
from bitget_orders.cli import main
from bitget_orders.errors import CliError
from bitget_orders.run_commands import extraction_body

ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:20261129T083052Z-58db6508-25b05b"
NOWHERE = "http://127.0.0.1:9"  # never reached: every case below fails before a request


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["extract"], "name the symbols (bitget-orders extract BTCUSDT ETHUSDT) or pass --all"),
        (["extract", "BTCUSDT", "--all"], "give symbols, or --all / --since last-sync"),
        (["extract", "--since", "yesterday"], "--since 'yesterday': the only value is `last-sync`"),
        (["extract", "BTCUSDT", "--start", "1788220800"], "looks like epoch seconds"),
        (["extract", "BTCUSDT", "--end", "tomorrow"], "--end 'tomorrow' is not a date"),
        (["extract", "BTCUSDT", "--embedded", "--no-wait"], "--no-wait cannot be used with --embedded"),
        (["orders"], "give an execution ARN or --account ID"),
        (["orders", ARN, "--account", "1"], "give an execution ARN or --account ID"),
        (["orders", ARN, "--side", "buy"], "--side: only with --account"),
        (["orders", ARN, "--format", "csv", "--limit", "5"], "--limit is for the table"),
    ],
)
def test_bad_arguments_exit_1_saying_what_to_do(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--url", NOWHERE]) == 1
    assert words in " ".join(capsys.readouterr().err.split())


def test_usage_errors_exit_1_not_clicks_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--no-such-option"]) == 1  # 2 means "incomplete" to scripts
    assert "No such option: --no-such-option" in capsys.readouterr().err
    assert main(["orders", ARN, "--format", "xml"]) == 1


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 complete; 2 incomplete" in help_text and "1 error" in help_text
    assert "without a zone is UTC" in help_text


def test_the_body_sends_only_the_options_given() -> None:
    assert extraction_body(["BTCUSDT"], False, None, None, None, {"plan": None, "fills": None}) == {
        "symbols": ["BTCUSDT"]
    }
    body = extraction_body(
        [], True, None, "2026-09-01", None, {"plan": False, "fills": True, "spot_plan_symbols": []}
    )
    assert body == {
        "symbols": "all",
        "start_ms": 1_788_220_800_000,
        "include_plan_orders": False,
        "include_fills": True,
    }
    assert extraction_body([], False, "last-sync", None, None, {"fills": False}) == {
        "since": "last_sync",
        "include_fills": False,
    }
    with pytest.raises(CliError):
        extraction_body(["BTCUSDT"], False, "last-sync", None, None, {})


def test_the_apis_messages_read_as_one_line() -> None:
    validation = {
        "detail": [
            {
                "type": "value_error",
                "loc": ["body", "symbols"],
                "msg": "Value error, invalid symbol 'BTC-USDT'",
            },
            {
                "type": "less_than_equal",
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 100",
            },
        ]
    }
    assert describe_detail(validation) == (
        "symbols: invalid symbol 'BTC-USDT'; limit: Input should be less than or equal to 100"
    )
    assert describe_detail({"detail": "execution not found: x"}) == "execution not found: x"
    assert "no such endpoint" in describe_detail({"detail": "Not Found"})
    assert describe_detail(None, "<html>\n  Bad   Gateway</html>") == "<html> Bad Gateway</html>"


def test_sources_name_the_apis_paths() -> None:
    assert Source("orders", execution_arn=ARN).page_path == f"/orders/{ARN}/database"
    assert Source("orders", execution_arn=ARN).export_path == f"/orders/{ARN}/export"
    assert Source("fills", execution_arn=ARN).page_path == f"/orders/{ARN}/fills"
    assert Source("fills", execution_arn=ARN).export_path == f"/orders/{ARN}/fills/export"
    assert Source("orders", account_id="1187837411").export_path == "/accounts/1187837411/orders/export"
    assert Source("fills", account_id="1187837411").page_path == "/accounts/1187837411/fills"
