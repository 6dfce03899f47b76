"""One rule per name, every layer agreeing with it (common/symbols.py, common/execution_names.py).

Each candidate goes through every place that checks it: the worker's and the aggregator's events, the account
scope an account-wide worker gets (spot plan candidates and their stream keys, kept by the sync state from the
account's own orders), the API's `symbol` filter pattern; the request rule through the coordinator's
normalisation; execution names through the worker, the aggregator, the coordinator's ARN parser and resume,
and the API's ARN pattern.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from app.schemas.orders import EXECUTION_ARN_PATTERN
from lambda_functions.aggregator.events import InvalidEventError
from lambda_functions.aggregator.events import parse_event as aggregator_event
from lambda_functions.common.account_scope import AccountScope
from lambda_functions.common.execution_names import is_execution_name
from lambda_functions.common.symbols import SYMBOL_PATTERN, is_request_symbol, is_symbol
from lambda_functions.coordinator import resume
from lambda_functions.coordinator.answers import InvalidRequest
from lambda_functions.coordinator.naming import execution_name_from_arn
from lambda_functions.coordinator.validation import RequestError, normalise_symbol
from lambda_functions.worker.events import parse_event as worker_event

SYMBOLS = [
    "BTCUSDT", "$ALTUSDT", "ALL_SPOT", "BTCUSDT_UMCBL", "SBTCSUSDT", "BTCUSDH24", "A" * 40, "B",
    "A" * 41, "btcusdt", "BTC-USDT", "BTC/USDT", "BTC USDT", "BTCUSDT\n", "", "BTC.USDT", "ÄBC",
]  # fmt: skip
NAMES = [
    "exec-1", "20250101T120000Z-3f2a9c1b-abcdef", "a_b", "x" * 80, "x" * 81, "a.b", "../x", "x y", "x\n", "",
    "x/y", "é",
]  # fmt: skip


class _Filter(BaseModel):
    """The API's symbol filter, as FastAPI checks it (pydantic's `pattern`)."""

    symbol: str = Field(pattern=SYMBOL_PATTERN)


class _Arn(BaseModel):
    """The API's execution ARN path parameter, as FastAPI checks it."""

    arn: str = Field(pattern=EXECUTION_ARN_PATTERN)


def _accepted(check: Any, *errors: type[Exception]) -> bool:
    try:
        check()
    except errors:
        return False
    return True


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_every_layer_that_carries_a_symbol_accepts_exactly_the_symbol_rule(symbol: str) -> None:
    expected = is_symbol(symbol)
    assert expected == (re.fullmatch(r"[A-Z0-9_$]{1,40}", symbol) is not None)
    layers = {
        "aggregator event": _accepted(
            lambda: aggregator_event({"execution": "e", "symbols": [symbol]}), InvalidEventError
        ),
        "account scope": _accepted(
            lambda: AccountScope.from_json(
                {"spot_plan_symbols": [symbol], "stream_starts": {f"spot_plan:{symbol}": 5}}
            ),
            ValueError,
        ),
        "API filter": _accepted(lambda: _Filter(symbol=symbol), ValidationError),
    }
    assert layers == dict.fromkeys(layers, expected)
    # the worker takes a symbol in any case and spacing: it checks the rule once it has upper-cased and stripped it
    worker = _accepted(lambda: worker_event({"symbol": symbol, "execution": "e"}), ValueError)
    assert worker == is_symbol(symbol.strip().upper())


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_a_request_names_a_symbol_by_the_request_rule_after_normalising(symbol: str) -> None:
    normalised = symbol.strip().upper().removesuffix("_UMCBL")
    if is_request_symbol(normalised):
        assert normalise_symbol(symbol) == normalised
        assert is_symbol(normalised)  # what a request may name, the pipeline carries
    else:
        with pytest.raises(RequestError, match="a Bitget v2 symbol is 2 to 30 letters and digits"):
            normalise_symbol(symbol)


def test_an_account_that_trades_a_dollar_symbol_can_be_synced_again() -> None:
    # Failed before the rules were one: the first account-wide run found $ALTUSDT among the account's spot orders
    # and paged `spot_plan:$ALTUSDT`; the sync state kept both, and the next sync's worker refused its own scope.
    scope = AccountScope(
        stream_starts={"spot_plan:$ALTUSDT": 1, "spot_normal": 2}, spot_plan_symbols=("$ALTUSDT",)
    )
    event = {"symbol": "ALL_SPOT", "execution": "e", "scope": scope.to_json()}
    assert worker_event(event).scope == scope
    with pytest.raises(RequestError, match="invalid symbol '\\$ALTUSDT'"):
        normalise_symbol("$ALTUSDT")  # a request still cannot name it (common/symbols.py says why)


@pytest.mark.parametrize("name", NAMES)
def test_every_layer_that_takes_an_execution_name_accepts_exactly_the_name_rule(name: str) -> None:
    expected = is_execution_name(name)
    assert expected == (re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name) is not None)
    arn = f"arn:aws:states:us-east-2:123456789012:execution:bitget-orders:{name}"
    layers = {
        "worker event": _accepted(lambda: worker_event({"symbol": "BTCUSDT", "execution": name}), ValueError),
        "aggregator event": _accepted(lambda: aggregator_event({"execution": name}), InvalidEventError),
        "aggregator failure": _accepted(
            lambda: aggregator_event({"mode": "failure", "execution": name}), InvalidEventError
        ),
        "coordinator ARN": execution_name_from_arn(arn) == name,
        "API ARN": _accepted(lambda: _Arn(arn=arn), ValidationError),
    }
    assert layers == dict.fromkeys(layers, expected)
    resumable = expected and len(name) <= 70  # room for the runs' "-r{n}"
    assert _accepted(lambda: resume.checked(name, False), InvalidRequest) == resumable
