"""Fill and unified-account order records as the pipeline carries them, built from Bitget's wire shapes
(shared/BITGET_API.md §11 "Order item" / "Fill item", §12 "Fields"), not from project code: the raw row as sent
plus `stream` and `symbol`, and for v3 rows the pipeline's copies (`tradeId` of `execId`, `cTime`/`uTime` of
`createdTime`/`updatedTime`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ACCOUNT = "1187837411"
T0 = 1_790_000_000_000
ORDER_BASE = 1_322_441_400_976_261_120
TRADE_BASE = 1_322_441_500_000_000_000


def _ms(i: int) -> str:
    return str(T0 - i * 1000)


def spot_fill(i: int, symbol: str = "BTCUSDT", fee: str = "-0.0000537") -> dict[str, Any]:
    """GET /api/v2/spot/trade/fills row: feeDetail is one object."""
    return {
        "userId": ACCOUNT, "symbol": symbol, "orderId": str(ORDER_BASE + i), "tradeId": str(TRADE_BASE + i),
        "orderType": "market", "side": "buy" if i % 2 else "sell", "priceAvg": "64477.39", "size": "0.0537",
        "amount": "3462.4358", "feeDetail": {"deduction": "no", "feeCoin": "BTC", "totalDeductionFee": "",
                                             "totalFee": fee},
        "tradeScope": "taker", "cTime": _ms(i), "uTime": str(int(_ms(i)) + 3), "stream": "spot_fills",
    }  # fmt: skip


def mix_fill(i: int, product_type: str = "USDT-FUTURES", symbol: str = "ETHUSDT") -> dict[str, Any]:
    """GET /api/v2/mix/order/fill-history row (no uTime): feeDetail is a list, its totalFees add up."""
    return {
        "tradeId": str(TRADE_BASE + i), "symbol": symbol, "marginCoin": "USDT", "orderId": str(ORDER_BASE + i),
        "price": "3184.2", "baseVolume": "0.5", "quoteVolume": "1592.1",
        "feeDetail": [{"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": "-0.5"},
                      {"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": "-0.25"}],
        "side": "sell", "profit": "12.5", "enterPointSource": "API", "tradeSide": "close", "posMode": "hedge_mode",
        "tradeScope": "maker", "cTime": _ms(i), "stream": f"{product_type}_fills",
    }  # fmt: skip


def uta_fill(i: int, category: str = "USDT-FUTURES", symbol: str = "BTCUSDT") -> dict[str, Any]:
    """GET /api/v3/trade/fills row, with the pipeline's tradeId/cTime/uTime copies."""
    created = _ms(i)
    exec_id = str(TRADE_BASE + i)
    return {
        "execId": exec_id, "orderId": str(ORDER_BASE + i), "category": category, "symbol": symbol,
        "orderType": "limit", "side": "buy", "execPrice": "107005.4", "execQty": "0.0001", "execValue": "10.70054",
        "tradeScope": "taker", "feeDetail": [{"feeCoin": "USDT", "fee": "0.00642032"}], "execPnl": "-1.5",
        "createdTime": created, "updatedTime": created, "tradeSide": "open",
        "tradeId": exec_id, "cTime": created, "uTime": created, "stream": f"uta_{category}_fills",
    }  # fmt: skip


def uta_order(i: int, category: str = "USDT-FUTURES", symbol: str = "BTCUSDT") -> dict[str, Any]:
    """GET /api/v3/trade/history-orders row, with the pipeline's cTime/uTime copies."""
    created, updated = _ms(i), str(int(_ms(i)) + 7)
    return {
        "orderId": str(ORDER_BASE + i), "clientOid": f"uta-{i}", "category": category, "symbol": symbol,
        "orderType": "market", "side": "sell", "price": "0", "qty": "0.0002", "amount": "0",
        "cumExecQty": "0.0002", "cumExecValue": "21.40108", "avgPrice": "107005.4", "timeInForce": "gtc",
        "orderStatus": "filled", "posSide": "long", "holdMode": "hedge_mode", "reduceOnly": "NO",
        "feeDetail": [{"feeCoin": "USDT", "fee": "0.00642032"}, {"feeCoin": "USDT", "fee": "0.00000001"}],
        "cancelReason": "", "execType": "normal", "tradeSide": "close", "marginMode": "crossed",
        "createdTime": created, "updatedTime": updated, "cTime": created, "uTime": updated,
        "stream": f"uta_{category}",
    }  # fmt: skip


def document(
    orders: list[dict[str, Any]], fills: list[dict[str, Any]] | None, execution_arn: str = "arn:test"
) -> bytes:
    """A consolidated document as the aggregator writes it (`fills` None: one written before fills existed)."""
    head = {"execution": "exec", "execution_arn": execution_arn, "generated_at": "2026-01-01T00:00:00Z"}
    body: dict[str, Any] = {**head, "account_mode": "unified", "orders": orders}
    summary: dict[str, Any] = {"total_orders": len(orders)}
    if fills is not None:
        body["fills"] = fills
        summary["total_fills"] = len(fills)
    return json.dumps({**body, "rejected_rows": [], "summary": summary}, separators=(",", ":")).encode()


def write(path: Path, orders: list[dict[str, Any]], fills: list[dict[str, Any]] | None) -> Path:
    path.write_bytes(document(orders, fills))
    return path
