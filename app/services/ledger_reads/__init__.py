"""The ledger's read side (issue 10), one idea per module:

- `page_sql.py`: the SQL text of every page and count (named indexes, keyset conditions), shared with the bench;
  orders and fills are read by the same text, a `PageSource` naming each kind's tables, indexes and fields;
- `rows.py`: the selected columns and how a row leaves (page objects for orjson, export rows);
- `cursors.py`: opaque keyset cursors (an account's are bound to the filters they were issued for) and the page
  of rows that issues them;
- `execution_pages.py`: GET /orders/{arn}/database through the execution's links (and the execution's exports);
- `totals.py`: execution totals counted once per (execution, filter) while the execution is unchanged;
- `account_pages.py`: GET /accounts/{id}/orders (and /fills), keyset pages of the ledger and its exports;
- `coverage.py` and `summaries.py`: GET /accounts and /accounts/{id} (coverage, gaps, retention);
- `exports.py`: CSV / NDJSON / Parquet streamed in keyset chunks;
- `fill_sql.py` and `fill_pages.py`: what is the fills' own (their PageSource, filters, execution pages).

`app/services/order_queries.py` and `app/services/fill_queries.py` put them together as the database's query
parts (app/services/database.py).
"""
