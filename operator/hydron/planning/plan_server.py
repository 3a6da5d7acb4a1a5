"""The Server an approved plan asks for, when the Application names a provider account.

Pure: the policy, the plan and the Server as it stands in; the Server's spec (or why
none may be ordered) out. Hydron owns a fixed set of the Server's fields (MANAGED) and
remembers a digest of each value it wrote (in the Application's status): a field
whose value no longer matches was edited by a person, and the person's value wins
and is reported as an override, until it equals the plan again. Every other field of
the Server (address, baseImages, registries, and proxy unless the account sets one) is
left as it is."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hydron.api.application import PlanningPolicy
from hydron.api.infraplan import FirewallRule, InfraPlanSpec, SshHardening

MANAGED: tuple[str, ...] = (
    "provider", "order.accountSecretRef", "order.offer", "order.location", "order.image",
    "sshKeySecretRef", "deletionPolicy", "firewall", "ssh", "proxy",
)
"""`proxy` only when the account sets it: otherwise the Server's own stays as it is."""


@dataclass(frozen=True)
class Refusal:
    """No Server may be written: `reason` is the condition reason, `message` what to do."""

    reason: str
    message: str


@dataclass(frozen=True)
class PlanServer:
    spec: dict[str, Any]
    applied: list[str]
    """field=digest of what the spec holds for each field Hydron wrote from the plan."""
    overrides: list[str] = field(default_factory=list)
    """The fields a person set otherwise, each with both values."""


def _normal(path: str, value: Any) -> Any:
    """The value as the API server stores it (defaults filled), so digests compare alike."""
    if value is None:
        return None
    try:
        if path == "firewall":
            return [FirewallRule.model_validate(rule).to_api() for rule in value]
        if path == "ssh":
            return SshHardening.model_validate(value).to_api()
    except Exception:  # noqa: BLE001 - an odd value stays as it is and compares as itself
        return value
    return value


def _digest(path: str, value: Any) -> str:
    text = json.dumps(_normal(path, value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _get(spec: Mapping[str, Any], path: str) -> Any:
    value: Any = spec
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(spec: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        spec = spec.setdefault(part, {})
    if value is None:
        spec.pop(last, None)
    else:
        spec[last] = value


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:79] + "…"


def owned_by(body: Mapping[str, Any] | None, app_name: str) -> bool:
    """Whether an existing Server is the one this Application wrote (not a person's)."""
    refs = ((body or {}).get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("kind") == "Application" and r.get("name") == app_name for r in refs)


def refusal(policy: PlanningPolicy, plan: InfraPlanSpec) -> Refusal | None:
    """Why the plan's offer may not be ordered with the account, if it may not."""
    account, offer = policy.provider_account, plan.server
    if account is None:
        return Refusal("NoProviderAccount", "spec.planning.providerAccount is not set.")
    if not offer.offer or not offer.location:
        return Refusal("NoOfferToOrder", "The approved plan names no offer and location to order; ask for one with a "
                                         "change request, or set spec.planning.serverRef.")
    if offer.provider != account.provider:
        return Refusal("OfferNotFromAccount",
                       f"The plan recommends {offer.provider} {offer.offer}, but spec.planning.providerAccount is a "
                       f"{account.provider} account. Ask the plan for a {account.provider} offer, or change the account.")
    budget, price = policy.monthly_budget, offer.monthly_price
    if budget is not None and (price is None or price > budget):
        cost = "has no known price" if price is None else f"costs EUR {price:g}/month"
        return Refusal("OverBudget", f"{offer.provider} {offer.offer} {cost}, over spec.planning.monthlyBudget "
                                     f"(EUR {budget:g}); nothing is ordered. Raise the budget or ask for a smaller offer.")
    return None


def desired(policy: PlanningPolicy, plan: InfraPlanSpec) -> dict[str, Any]:
    """The plan's value of each managed field (the account must be set)."""
    account = policy.provider_account
    assert account is not None and plan.server.offer and plan.server.location
    fields = {
        "provider": account.provider,
        "order.accountSecretRef": account.account_secret_ref.to_api(),
        "order.offer": plan.server.offer.lower(),
        "order.location": plan.server.location.lower(),
        "order.image": account.image,
        "sshKeySecretRef": account.ssh_key_secret_ref.to_api(),
        "deletionPolicy": account.deletion_policy,
        "firewall": _normal("firewall", [rule.to_api() for rule in plan.firewall]),
        "ssh": plan.security.ssh.to_api(),
    }
    if account.proxy is not None:
        fields["proxy"] = account.proxy.to_api()
    return fields


def server_from_plan(policy: PlanningPolicy, plan: InfraPlanSpec, existing_spec: Mapping[str, Any] | None,
                     applied: Sequence[str]) -> PlanServer | Refusal:
    """The Server's whole spec: the existing one with the plan's values written into the
    managed fields a person has not changed since Hydron last wrote them."""
    refused = refusal(policy, plan)
    if refused is not None:
        return refused
    recorded = dict(a.split("=", 1) for a in applied if "=" in a)
    spec = copy.deepcopy(dict(existing_spec or {}))
    written, overrides = [], []
    for path, wanted in desired(policy, plan).items():
        current = _get(spec, path)
        edited = (existing_spec is not None and path in recorded
                  and _digest(path, current) not in (recorded[path], _digest(path, wanted)))
        if edited:
            overrides.append(f"{path}: {_short(current)} (the plan says {_short(wanted)})")
            written.append(f"{path}={recorded[path]}")
            continue
        _set(spec, path, wanted)
        written.append(f"{path}={_digest(path, wanted)}")
    return PlanServer(spec=spec, applied=written, overrides=overrides)
