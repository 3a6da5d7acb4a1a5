"""People's own SSH keys: the Server's spec.authorizedKeys kept in the SSH user's
authorized_keys, beside Hydron's key (see hydron.provisioning.authorized_keys).

Runs last: a bad key list fails this step only, after everything else is in place.
"""

from __future__ import annotations

import inspect

from hydron.api.server import KeysSource
from hydron.provisioning import authorized_keys as ak
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote import keys
from hydron.remote.builders import files
from hydron.remote.command import mutate, shell
from hydron.remote.errors import KeyUnavailable

_HOME = 'getent passwd "$1" | cut -d: -f6'


class AuthorizedKeys(Step):
    name = "authorized-keys"

    async def observe(self, ctx: StepContext) -> Observation:
        path = await _path(ctx)
        current = (await ctx.run.run(files.read(path))).stdout if path else ""
        hydron_key = await _hydron_key(ctx)
        wanted = ak.render(current, await _wanted(ctx), hydron_key)
        count = len(ak.managed(wanted))
        if ak.managed(wanted) == ak.managed(current) and ak.has_key(ak.outside_block(current), hydron_key):
            return Observation(True, f"{count} person key(s) beside Hydron's in {path}." if count else
                               f"No person keys asked for; {path} keeps Hydron's key.")
        before = len(ak.managed(current))
        return Observation(False, f"{path} holds {before} person key(s), {count} wanted", (path, wanted))

    async def change(self, ctx: StepContext, found: Observation) -> str:
        path, content = found.data
        await ctx.run.run(files.write(path, content.encode(), mode="0600"))
        if ctx.spec.user != "root":
            await ctx.run.run(mutate("chown", f"{ctx.spec.user}:", path))
        return f"{len(ak.managed(content))} person key(s) now in {path} beside Hydron's."


async def _path(ctx: StepContext) -> str:
    home = (await ctx.run.output(shell(_HOME, ctx.spec.user))).strip()
    if not home:
        raise StepError(f"user {ctx.spec.user} has no home directory on the server")
    return f"{home.rstrip('/')}/.ssh/authorized_keys"


async def _wanted(ctx: StepContext) -> list[str]:
    wanted: list[str] = []
    for source in ctx.spec.authorized_keys:
        text = await _read(ctx, source)
        try:
            wanted += ak.parse_keys(text, source.describe())
        except ak.InvalidKeys as error:
            raise StepError(f"spec.authorizedKeys: {error}; nothing was changed") from None
    return wanted


async def _read(ctx: StepContext, source: KeysSource) -> str:
    try:
        if source.secret_key_ref is not None:
            return await keys.read(ctx.read_secret, source.secret_key_ref.name, source.secret_key_ref.key)
        ref = source.config_map_key_ref
        assert ref is not None
        if ctx.read_config_map is None:
            raise KeyUnavailable("the operator has no ConfigMap reader wired")
        value = ctx.read_config_map(ref.name, ref.key)
        return await value if inspect.isawaitable(value) else value
    except KeyUnavailable as error:
        raise StepError(f"spec.authorizedKeys: {error.message}", retryable=True) from None
    except Exception as error:  # noqa: BLE001 - the reader's own error names the object, never a value
        raise StepError(f"spec.authorizedKeys: {source.describe()}: {getattr(error, 'message', None) or error}",
                        retryable=True) from None


async def _hydron_key(ctx: StepContext) -> str | None:
    """Hydron's own public key (from the private key it logs in with), kept outside the block."""
    ref = ctx.spec.ssh_key_secret_ref
    try:
        key = await keys.client_key(ctx.read_secret, ref.name, ref.key)
    except Exception:  # noqa: BLE001 - it logged in with this key moments ago; without it, change nothing of it
        return None
    kind, blob = key.export_public_key("openssh").decode().split()[:2]
    return f"{kind} {blob} hydron"
