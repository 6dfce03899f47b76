"""Hydration: load a consolidated results document's orders (and fills) into the account's ledger, exactly once
(docs/database.md "Hydration").

- *exactly once*: a caller must first win an atomic claim (`claim.py`: `UPDATE ... SET hydration_state='saving'
  WHERE hydration_state IN ('pending','failed')`, or a 'saving' claim whose owner process is known to be dead
  (`claim_owner.py`), or whose heartbeat is stale); losers return the current state (and the running count)
  at once;
- *the ledger*: the execution's orders are stored once per (account, stream, order_id), replacing a stored copy
  only when theirs is newer (uTime), and the execution links each order it saw (`inserts.py`); a second
  execution that sees the same orders adds links only. The account comes from the execution's result
  (ledger_writes/accounts.py);
- *complete or failed, never silently short*: the winner deletes the links a previous failed attempt left (not
  the ledger rows: other executions may link them), then streams `orders` and writes chunk by chunk (ledger
  rows, links, progress and heartbeat in one transaction: `fenced_writes.py`); any error of the document or the
  database marks the execution `failed` (`outcome.py`), and the next call retries. One unusable order record
  does not: it is skipped, counted in `rows_rejected` and logged (execution, symbol, stream, reason), and the
  rest is stored;
- *no duplicates*: the ledger's unique key and the links' primary key, and a fencing token so a writer whose
  claim was taken over stops at its next chunk;
- *coverage*: a successful load replaces the execution's coverage rows in the same transaction that marks it
  saved (`outcome.py`, ledger_writes/coverage.py);
- *fills*: the document's `fills` (after its orders) go the same way into `ledger_fills` / `execution_fills`,
  in a second pass taken only when the first saw a `fills` array that is not empty (`loader.py`);
- *bounded memory*: at most a few chunks of rows are held (`parse_process.py` parses big documents in a child).

`service.py` puts these together (`Hydration`); `state.py` reads what an execution's hydration columns say.
This package imports nothing itself: the parsing child's fork server preloads `parse_process` alone.
"""
