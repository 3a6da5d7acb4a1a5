"""Approval names a revision: approving a stale one approves nothing, and says so."""

from __future__ import annotations

from dataclasses import dataclass

from hydron.api.base import ConditionStatus
from hydron.api.infraplan import Approval

AUTO_APPROVER = "autoApprove"


@dataclass(frozen=True)
class ApprovalState:
    status: ConditionStatus
    reason: str
    message: str
    approved_revision: int | None  # set only when the current revision is approved
    approved_by: str | None


def approval_state(revision: int, approval: Approval | None, auto_approve: bool, latest_change: str | None = None
                   ) -> ApprovalState:
    """The Approved condition for the current revision."""
    if approval is not None and approval.revision == revision:
        who = approval.approved_by or "a person"
        return ApprovalState("True", "Approved", f"Revision {revision} was approved by {who}.", revision, who)
    if auto_approve:
        return ApprovalState("True", "AutoApproved",
                             f"Revision {revision} was approved by the Application's autoApprove policy.",
                             revision, AUTO_APPROVER)
    if approval is not None and approval.revision < revision:
        since = f" ({latest_change})" if latest_change else ""
        return ApprovalState(
            "False", "StaleApproval",
            f"spec.approval names revision {approval.revision}, but the plan has changed since and is at revision "
            f"{revision}{since}. Approving revision {approval.revision} does nothing; review the changes in "
            f"status.changes and set spec.approval.revision to {revision}.", None, None)
    if approval is not None:
        return ApprovalState("False", "UnknownRevision",
                             f"spec.approval names revision {approval.revision}, which does not exist yet; the plan is "
                             f"at revision {revision}.", None, None)
    return ApprovalState("False", "AwaitingApproval",
                         f"Revision {revision} waits for a person to review it and set spec.approval.revision to "
                         f"{revision} (or set planning.autoApprove on the Application).", None, None)
