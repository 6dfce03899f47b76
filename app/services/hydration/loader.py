"""Streaming a claimed execution's document into the ledger: its orders, then its fills, chunk by chunk."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.models.fill_rows import FillsProbe, probed
from app.models.ledger_tables import FILLS
from app.services.hydration.fenced_writes import LoadTarget, write_chunk
from app.services.hydration.parse_process import OpenSource, ParseStats, order_chunks
from app.services.ledger_writes.links import count_links


def load_document(
    sessions: sessionmaker[Session],
    engine: Engine,
    target: LoadTarget,
    token: str,
    open_source: OpenSource,
    stats: ParseStats,
    fill_stats: ParseStats,
    *,
    chunk_rows: int,
    in_subprocess: bool | None,
) -> tuple[int, int]:
    """Stream the document's orders, then its fills, into the ledger in chunks; returns the execution's links
    (orders it saw, fills it saw).

    The fills are a second pass over the document (ijson follows one array per pass), taken only when the
    first pass saw a `fills` array that is not empty (fill_rows.FillsProbe). `in_subprocess`: where the document
    is parsed (parse_process.order_chunks)."""
    probe = FillsProbe()
    linked = 0
    parse = order_chunks(
        lambda: probed(open_source, probe),
        target.account_id,
        chunk_rows,
        in_subprocess,
        stats,
    )
    with parse as chunks:
        for chunk in chunks:
            linked += write_chunk(engine, target, token, chunk, linked)
    if probe.may_hold_fills:
        linked = 0
        parse = order_chunks(open_source, target.account_id, chunk_rows, in_subprocess, fill_stats, "fills")
        with parse as chunks:
            for chunk in chunks:
                linked += write_chunk(engine, target, token, chunk, linked, "fills")
    with sessions() as session:
        connection = session.connection()
        return count_links(connection, target.execution_id), count_links(
            connection, target.execution_id, FILLS
        )
