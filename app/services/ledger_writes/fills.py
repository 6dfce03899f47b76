"""The fills' ledger table for the hydration's statements (app/services/order_inserts.py: the very upsert and link
statements of orders, on `ledger_fills` and its `execution_fills` links).

- Upsert: one ledger row per (account_id, stream, trade_id). A fill is immutable: a second copy replaces the
  stored one only when its `u_time` is newer (NULL counts as oldest, an equal one keeps the stored copy; v2
  futures fills have no uTime, so their first copy stays); `created_at` stays when it was first stored.
- Links: `INSERT ... SELECT` of the links from the ledger by its unique key, one statement per stream of the
  chunk, duplicates ignored; the count of new links is the execution's `fills_saved` progress.
"""

from __future__ import annotations

from app.models.fill_rows import FILL_COLUMNS
from app.services.order_inserts import LedgerTable

FILLS = LedgerTable("ledger_fills", FILL_COLUMNS, "trade_id", "execution_fills", "fill_pk")
