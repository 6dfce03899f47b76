"""The ledger's write side (docs/database.md): whose orders an execution saw, what it covered, and its links.

The bulk statements of the hydration hot path are in `app/services/hydration/inserts.py`, and its fenced
writes (a chunk, the links a failed attempt left) in `app/services/hydration/fenced_writes.py`.
"""
