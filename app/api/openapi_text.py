"""The words of the OpenAPI page (/docs, /redoc): the workflow, the stream names, the error categories, the
limits and the language of the answers. Markdown; `<placeholders>` are escaped by app/api/openapi.py."""

from __future__ import annotations

DESCRIPTION = """
Extracts the **complete** order (and fill) history of a Bitget account into a database you can query: one
worker per symbol, or per part of the account, pages every Bitget history to its end under the account's rate
limits; the results are merged newest first and saved once per account in a ledger that outlives Bitget's
90-day retention.

## Workflow: start → poll (or wait) → query

1. **Start.** `POST /orders` with `{"symbols": ["BTCUSDT", "ETHUSDT"]}` (a list of symbols), `{}` (the whole
   account) or `{"since": "last_sync"}` (only what is new since the last sync; also
   `POST /accounts/<account_id>/sync`). The answer (202) holds `executionArn`, `status_url` and the window
   actually used (`start_ms`, `end_ms`; `window_note` says what was clamped and why).
2. **Poll, or wait.** `GET /orders/<executionArn>` (the `status_url`) every 1 to 5 seconds while `status` is
   `RUNNING` (`progress` counts the symbols done). It ends `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`
   (`POST /orders/<executionArn>/cancel`). On `SUCCEEDED`, `result.summary.complete` says whether every stream
   was paged to its end (`incomplete_streams` names the others, with Bitget's code and message) and
   `database_info.state` becomes `saved` once every order is in the database (a poll waits up to
   `HYDRATION_WAIT_SECONDS` for it). The command-line tool `bitget-orders extract` does the polling for you.
   A failed or incomplete execution goes on from its checkpoints with `POST /orders/<executionArn>/resume`.
3. **Query.** `GET /orders/<executionArn>/database` (that execution's orders, newest first; follow
   `pagination.next_cursor`), `GET /orders/<executionArn>/export?format=csv|ndjson|parquet`, or the account's
   whole ledger: `GET /accounts/<account_id>/orders` and `/orders/export`, with filters. `GET /accounts/<account_id>`
   shows what is covered per stream and the gaps.

## Streams

Every order (and fill) carries `stream`: the Bitget history it was paged from. Filters take these names.

| stream | what | Bitget endpoint |
|---|---|---|
| `spot_normal`, `spot_tpsl` | spot orders, spot TP/SL orders | `GET /api/v2/spot/trade/history-orders` |
| `spot_plan` | spot plan (trigger) orders | `GET /api/v2/spot/trade/history-plan-order` |
| `USDT-FUTURES`, `USDC-FUTURES`, `COIN-FUTURES` (and `SUSDT-`, `SUSDC-`, `SCOIN-FUTURES`: demo trading) | futures orders per product type | `GET /api/v2/mix/order/orders-history` |
| `<productType>_plan`, e.g. `USDT-FUTURES_plan` | futures plan orders | `GET /api/v2/mix/order/orders-plan-history` |
| `spot_fills`, `<productType>_fills` | fills (trades) of a classic account | `GET /api/v2/spot/trade/fills`, `GET /api/v2/mix/order/fill-history` |
| `uta_SPOT`, `uta_MARGIN`, `uta_USDT-FUTURES`, `uta_COIN-FUTURES`, `uta_USDC-FUTURES` | orders of a unified trading account, per category | `GET /api/v3/trade/history-orders` |
| `uta_<category>_fills`, e.g. `uta_SPOT_fills` | fills of a unified trading account | `GET /api/v3/trade/fills` |

## Errors

Every error answer is JSON with `detail`: a sentence saying what is wrong and what to do, or (422) FastAPI's list
of problems, each with `loc` naming the field (`["body", "symbols", 0]`, `["query", "limit"]`). A bad request
changes nothing.

| status | category | examples |
|---|---|---|
| 400 | the request cannot be served as given | more symbols than `MAX_SYMBOLS`, a cursor from other filters, a results key outside `RESULTS_PREFIX`, a `public_url` that is not this deployment's |
| 401, 403 | Bitget refused the account's key; nothing was started | `problem`: `credentials` (wrong key, secret or passphrase), `ip_not_allowed`, `permission_missing`; `bitget_code` and `bitget_message` are Bitget's own |
| 404 | unknown execution, account or results file | |
| 409 | the execution's state forbids it | cancelling a finished execution, resuming a running one, syncing an account the configured key does not belong to |
| 413 | the request body is larger than `MAX_REQUEST_BODY_BYTES` (1 MiB by default) | |
| 422 | malformed input, named by `loc` | a symbol that is not 2 to 30 letters and digits, `NaN` or `Infinity` in the body, `limit` above 100 |
| 502 | the orchestration or the exchange did not answer usably | the coordinator Lambda failed, Bitget's symbol list could not be read |
| 500 | a bug in the service (never your input): the service log has the details | |

## Limits

- Request bodies: at most `MAX_REQUEST_BODY_BYTES` bytes (default 1,048,576), else 413.
- `symbols`: at most `MAX_SYMBOLS` (default 500) per request; a list longer than that by more than 1,000 entries
  is refused before any entry is read.
- Error answers quote at most a short prefix of what was sent (about 100 characters of an input, 300 of a
  message) and list at most 20 problems.
- JSON bodies hold finite numbers only: `NaN`, `Infinity` and numbers beyond a double's range are refused (422).

## Language

Everything is in English, except a few values kept exactly as the original Spanish service sent them, because
its clients compare them: `message` of `POST /orders` ("Procesamiento iniciado para 2 símbolos"),
`database_message` when the execution was recorded ("ExecutionArn guardado automáticamente en base de datos"),
`result.message` of a complete execution ("Órdenes procesadas exitosamente") and `message` of
`POST /orders/<executionArn>/save-from-url` ("Datos guardados exitosamente desde URL pública"). The list is in
docs/api.md, "Language".
"""

TAGS = [
    {
        "name": "orders",
        "description": "Start an extraction, follow it, read and export what it saved; cancel, resume, delete.",
    },
    {
        "name": "accounts",
        "description": "The ledger: every order of an account kept once, beyond Bitget's 90 days; coverage, "
        "gaps and incremental syncs.",
    },
    {"name": "symbols", "description": "Bitget's spot pairs and futures contracts (v2 names)."},
    {"name": "results", "description": "The results files of the local results store (embedded mode)."},
    {"name": "health", "description": "Liveness, the modes in use and the live configuration checks."},
]
