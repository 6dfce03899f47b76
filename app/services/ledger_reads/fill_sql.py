"""The fills' reads: the same SQL as orders' (page_sql.py) on `ledger_fills` and its `execution_fills` links.

Newest first is (c_time, trade_id_num, id) descending; every select ends with `trade_id_num`. An account's page
is served by the index of its most selective filter: order_id, then symbol, then stream.
"""

from __future__ import annotations

from app.models import ledger_tables
from app.services.ledger_reads.page_sql import PageSource
from app.services.ledger_reads.rows import FILL_EXPORT_FIELDS, FILL_PAGE_FIELDS

FILLS = PageSource(
    "fills",
    ledger_tables.FILLS,
    FILL_PAGE_FIELDS,
    FILL_EXPORT_FIELDS,
    (
        ("order_id", "ix_ledger_fills_account_order_newest"),
        ("symbol", "ix_ledger_fills_account_symbol_newest"),
        ("stream", "ix_ledger_fills_account_stream_newest"),
    ),
    "ix_ledger_fills_account_newest",
)
