"""Making the values of the Secrets a plan references. The controller calls this; the plan
itself only names Secrets and keys, so no value ever reaches the spec, status or an LLM.

Existing keys are kept as they are: a reconcile must never rotate a database password
out from under the database that was initialised with it.
"""

from __future__ import annotations

import secrets as _random
import string
from collections.abc import Mapping

from hydron.api.infraplan import PlannedSecret

PASSWORD_ALPHABET = string.ascii_letters + string.digits  # URL-safe without escaping
PASSWORD_LENGTH = 32


def password(length: int = PASSWORD_LENGTH) -> str:
    return "".join(_random.choice(PASSWORD_ALPHABET) for _ in range(length))


def secret_data(planned: PlannedSecret, existing: Mapping[str, str] | None = None) -> dict[str, str]:
    """The complete data of a Generated Secret: existing values kept, missing ones made.

    Template keys are filled from the other keys after those exist. User keys are never
    invented; `missing_user_keys` lists them for a finding.
    """
    data = dict(existing or {})
    for key in planned.keys:
        if key.key in data:
            continue
        if key.generate == "Password":
            data[key.key] = password()
        elif key.generate == "Literal" and key.literal is not None:
            data[key.key] = key.literal
    for key in planned.keys:
        if key.key not in data and key.generate == "Template" and key.template:
            data[key.key] = key.template.format(**data)
    return data


def missing_user_keys(planned: PlannedSecret, existing: Mapping[str, str] | None) -> list[str]:
    """Keys a person still has to fill."""
    have = set(existing or {})
    return [k.key for k in planned.keys if k.generate == "User" and k.key not in have]
