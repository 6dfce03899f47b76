"""The claim on an execution's hydration: taking it atomically, reading who holds it, and the condition under
which it may be taken, by a hydration or a removal (the package doc's *exactly once*; the owner rules are in
`claim_owner.py`).

Claimable: never tried or failed; or 'saving' under a claim whose owner is known to be dead (same host, its
process gone), taken over at once; or 'saving' with a heartbeat older than `stale_claim_s`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import ExecutionResult, utcnow
from app.services.execution_records import ExecutionRecords
from app.services.hydration import claim_owner
from app.services.hydration.state import redact

logger = logging.getLogger(__name__)

DEFAULT_STALE_CLAIM_S = 300.0
_CLAIMABLE = ("pending", "failed")


@dataclass(frozen=True)
class HeldClaim:
    """The hydration columns of an execution as read before a claim."""

    state: str
    token: str | None
    owner: str | None
    heartbeat_at: datetime | None
    orders_saved: int

    def owner_is_dead(self) -> bool:
        return claim_owner.owner_is_dead(self.owner, self.token)


class Claims:
    """Takes and reads hydration claims; a claim with no heartbeat for `stale_claim_s` may be taken over."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        executions: ExecutionRecords,
        *,
        stale_claim_s: float = DEFAULT_STALE_CLAIM_S,
    ) -> None:
        self._sessions = sessions
        self._executions = executions  # creates a missing record, and logs a takeover
        self.stale_claim_s = stale_claim_s

    def take(self, execution_arn: str, source: str) -> str | None:
        """Atomically take the right to hydrate; the claim's token, None when another caller holds it or it
        is done. The token is held (`claim_owner.hold`) until the caller releases it."""
        self._executions.ensure_execution(execution_arn)
        held = self.current(execution_arn)
        token = uuid.uuid4().hex
        now = utcnow()
        stale = now - timedelta(seconds=self.stale_claim_s)
        table = ExecutionResult
        claimable = self.takeable_from(_CLAIMABLE, held, now)
        dead_owner = held is not None and held.state == "saving" and held.owner_is_dead()
        # Held before the UPDATE commits: another thread of this process must never see our claim unheld.
        claim_owner.hold(token)
        try:
            with self._sessions() as session, session.begin():
                result = session.connection().execute(
                    update(table)
                    .where(table.execution_arn == execution_arn, claimable)
                    .values(
                        hydration_state="saving",
                        hydration_token=token,
                        hydration_owner=claim_owner.current_owner(),
                        hydration_heartbeat_at=now,
                        hydration_started_at=now,
                        hydration_finished_at=None,
                        hydration_error=None,
                        hydration_source=redact(source),
                        orders_saved=0,
                        fills_saved=0,
                        rows_rejected=None,
                        updated_at=now,
                    )
                )
        except BaseException:
            claim_owner.release(token)
            raise
        if result.rowcount != 1:
            claim_owner.release(token)
            return None
        if held is not None and held.state == "saving":
            was_stale = held.heartbeat_at is None or held.heartbeat_at < stale
            if dead_owner or was_stale:
                reason = "owner process is gone" if dead_owner else "heartbeat stale"
                self._log_takeover(execution_arn, held, reason)
        return token

    def takeable_from(
        self, states: tuple[str, ...], held: HeldClaim | None, now: datetime
    ) -> ColumnElement[bool]:
        """The UPDATE condition under which an execution read as `held` may be taken (by a hydration or a
        removal): its state is one of `states`, or a 'saving' claim whose heartbeat is stale or, compared and
        set on its token so that one taker wins, whose owner is dead."""
        table = ExecutionResult
        stale = now - timedelta(seconds=self.stale_claim_s)
        takeable = or_(
            table.hydration_state.in_(states),
            and_(table.hydration_state == "saving", table.hydration_heartbeat_at < stale),
        )
        if held is not None and held.state == "saving" and held.owner_is_dead():
            takeable = or_(
                takeable, and_(table.hydration_state == "saving", table.hydration_token == held.token)
            )
        return takeable

    def current(self, execution_arn: str) -> HeldClaim | None:
        """The execution's claim columns as they are now; None when it is not recorded."""
        table = ExecutionResult
        with self._sessions() as session:
            row = session.execute(
                select(
                    table.hydration_state,
                    table.hydration_token,
                    table.hydration_owner,
                    table.hydration_heartbeat_at,
                    table.orders_saved,
                ).where(table.execution_arn == execution_arn)
            ).first()
        return HeldClaim(*row) if row is not None else None

    def _log_takeover(self, execution_arn: str, held: HeldClaim, reason: str) -> None:
        details = {"previous_owner": held.owner, "reason": reason, "orders_saved_before": held.orders_saved}
        logger.warning("hydration taken over", extra=details)
        self._executions.add_log(execution_arn, "WARNING", "hydration taken over", details)
