"""Certificates: Caddy's automatic ACME, pointed at the CA the spec names.

spec.proxy.acmeCa / acmeEmail become the ACME issuer of `apps.tls`; the PEM from
spec.proxy.acmeCaRootSecretRef (a private or test CA's own TLS root) is written next
to Caddy's config and trusted for talking to that CA. Caddy then obtains and renews
a certificate for every domain a route names, on its own.
"""

from __future__ import annotations

from hydron.remote.builders import caddy_config
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.provisioning.steps.reverse_proxy import DOWN, load, running_config
from hydron.remote.builders import files
from hydron.remote.command import observe


def root_file(ctx: StepContext) -> str | None:
    return caddy_config.ACME_ROOT_FILE if ctx.acme_root_pem else None


def ca_reachable(ca: str, root: str | None):
    """HTTP status of the CA's directory as the server sees it."""
    trust = ("--cacert", root) if root else ()
    return observe("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", *trust, "--url", ca,
                   ok_exit=range(0, 100))


class Certificates(Step):
    name = "certificates"

    async def observe(self, ctx: StepContext) -> Observation:
        wanted = caddy_config.tls_app(ctx.spec.proxy, root_file(ctx))
        if ctx.acme_root_pem:
            current = await ctx.run.run(files.read(caddy_config.ACME_ROOT_FILE))
            if current.stdout != ctx.acme_root_pem:
                return Observation(False, "the ACME CA's root certificate is not in place")
        config = await running_config(ctx)
        if config is DOWN:
            return Observation(False, "Caddy's admin API does not answer")
        if not caddy_config.tls_matches(config, wanted):
            return Observation(False, "Caddy's ACME settings differ from spec.proxy")
        return Observation(True, f"Certificates issued automatically by {ctx.spec.proxy.acme_ca or 'Let’s Encrypt (Caddy’s default)'}.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        if ctx.acme_root_pem:
            await ctx.run.run(files.write(caddy_config.ACME_ROOT_FILE, ctx.acme_root_pem.encode(), "0644"))
        config = await running_config(ctx)
        if config is DOWN:
            raise StepError("Caddy's admin API does not answer; the reverse-proxy step must succeed first", retryable=True)
        await load(ctx, caddy_config.with_tls(config, caddy_config.tls_app(ctx.spec.proxy, root_file(ctx))))
        return f"ACME issuer set to {ctx.spec.proxy.acme_ca or 'Caddy’s default'}."

    async def verify(self, ctx: StepContext) -> Observation:
        found = await self.observe(ctx)
        if found.ok and ctx.spec.proxy.acme_ca:
            status = (await ctx.run.output(ca_reachable(ctx.spec.proxy.acme_ca, root_file(ctx)))).strip()
            if status != "200":
                raise StepError(
                    f"the ACME CA {ctx.spec.proxy.acme_ca} does not answer from the server (HTTP {status or 'none'}); "
                    "check spec.proxy.acmeCa and acmeCaRootSecretRef",
                    retryable=True,
                )
        return found
