"""The ledger's write side (docs/database.md): whose orders an execution saw, what it covered, and its links.

The bulk statements of the hydration hot path are in `app/services/order_inserts.py`.
"""
