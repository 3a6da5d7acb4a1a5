"""`hydron`: run the operator, generate CRDs, analyse a repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from hydron import main, metrics

    main.configure_logging(args.verbose)
    if args.metrics_port:
        metrics.serve(args.metrics_port, args.metrics_address)
    webhook = {"port": args.webhook_port, "address": args.webhook_address} if args.webhook_port else None
    main.run(args.namespace or [], args.liveness, webhook)
    return 0


def _ui_server(args: argparse.Namespace) -> int:
    from hydron.cli.plugin_kube import PluginError, connect
    from hydron.web.serve import serve_in_cluster

    try:
        session = connect(args.kubeconfig, None, args.namespace)
        return serve_in_cluster(session, args.address, args.port, args.namespace is None, sys.stdout)
    except PluginError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1


def _settings(args: argparse.Namespace) -> int:
    from hydron.settings import describe

    for variable, default, description in describe():
        print(f"{variable}\n    {description}" + (f" (default: {default})" if default else ""))
    return 0


def _crds(args: argparse.Namespace) -> int:
    from hydron.api.crdgen import all_crds, render, write_crds

    outputs = [Path(o) for o in args.output or ["crds", "charts/hydron/crds"]]
    if args.check:
        stale = [
            str(out / name)
            for out in outputs
            for name, crd in all_crds().items()
            if not (out / name).is_file() or (out / name).read_text() != render(crd)
        ]
        if stale:
            print(f"stale CRDs: {', '.join(stale)}; run `hydron crds`", file=sys.stderr)
            return 1
        print("CRDs are up to date")
        return 0
    for out in outputs:
        for path in write_crds(out):
            print(f"wrote {path}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    """Write (or with --check, verify) the generated reference and troubleshooting pages."""
    from hydron.docs import stale, write_docs

    output = Path(args.output)
    if args.check:
        outdated = stale(output)
        if outdated:
            print(f"stale docs in {output}: {', '.join(outdated)}; run `hydron docs`", file=sys.stderr)
            return 1
        print("docs are up to date")
        return 0
    for path in write_docs(output):
        print(f"wrote {path}")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    """Analyse a local directory, or a Git URL fetched into a temporary directory."""
    import tempfile

    from hydron.cli.analyze import analyze_command

    if Path(args.target).is_dir():
        return analyze_command(args.target, args.output)
    from hydron.source import GitSource, SourceError, fetch_source

    with tempfile.TemporaryDirectory(prefix="hydron-analyze-") as scratch:
        try:
            fetched = fetch_source(GitSource(url=args.target, ref=args.ref, path=args.path), Path(scratch) / "src")
        except SourceError as error:
            print(f"error: {error.reason}: {error.message}", file=sys.stderr)
            return 1
        print(f"# {args.target} at {fetched.commit[:12]} ({fetched.ref})", file=sys.stderr)
        name = (args.path or "").rstrip("/").rpartition("/")[2] or _repository_name(args.target)
        return analyze_command(str(fetched.checkout_dir), args.output, name=name)


def _repository_name(url: str) -> str:
    """https://host/owner/app.git -> app: the root service is named for the repository, not the scratch folder."""
    return url.rstrip("/").rpartition("/")[2].rpartition(":")[2].removesuffix(".git")


def _templates(args: argparse.Namespace) -> int:
    from hydron.templates import list_templates

    for template in list_templates():
        print(f"{template.name:<14} {template.title}: {template.description}")
        for parameter in template.parameters:
            need = "required" if parameter.required else f"default {parameter.default}"
            print(f"{'':<16}{parameter.name} ({need}): {parameter.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hydron", description="Run your own apps on your own servers.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the operator against the current kubeconfig or in-cluster config")
    run.add_argument("-n", "--namespace", action="append", help="watch only this namespace (repeatable); default all")
    run.add_argument("--liveness", default=None, help="serve a liveness probe, e.g. http://0.0.0.0:8080/healthz")
    run.add_argument("--metrics-port", type=int, default=0, help="serve Prometheus metrics on this port (0: off)")
    run.add_argument("--metrics-address", default="0.0.0.0", help="address for the metrics server")
    run.add_argument("--webhook-port", type=int, default=0,
                     help="serve Git push webhooks on POST /hooks/git at this port (0: off); the secret is "
                          "read from HYDRON_WEBHOOK_SECRET")
    run.add_argument("--webhook-address", default="0.0.0.0", help="address for the webhook server")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    run.set_defaults(func=_run)
    ui = sub.add_parser("ui-server", help="serve the web view in the cluster: people log in with a bearer token, and "
                                         "each action is checked with a SubjectAccessReview")
    ui.add_argument("--address", default="0.0.0.0", help="address to listen on")
    ui.add_argument("--port", type=int, default=8090, help="port to listen on")
    ui.add_argument("-n", "--namespace", default=None,
                    help="only this namespace (default: all namespaces each person may list)")
    ui.add_argument("--kubeconfig", default=None, help="kubeconfig (default: in-cluster, else $KUBECONFIG)")
    ui.set_defaults(func=_ui_server)
    settings = sub.add_parser("settings", help="list the environment variables the operator reads")
    settings.set_defaults(func=_settings)

    crds = sub.add_parser("crds", help="write the CustomResourceDefinitions generated from the models")
    crds.add_argument(
        "-o", "--output", action="append",
        help="directory to write into (repeatable; default: crds and charts/hydron/crds)",
    )
    crds.add_argument("--check", action="store_true", help="only check that the directory is up to date")
    crds.set_defaults(func=_crds)

    docs = sub.add_parser("docs", help="write the API reference and troubleshooting pages generated from the code")
    docs.add_argument("-o", "--output", default="crds/docs", help="directory to write into (default: crds/docs)")
    docs.add_argument("--check", action="store_true", help="only check that the directory is up to date")
    docs.set_defaults(func=_docs)

    analyze = sub.add_parser("analyze", help="show what a repository needs to run (a directory or a Git URL)")
    analyze.add_argument("target", help="a local directory or a Git URL")
    analyze.add_argument("--ref", help="branch, tag or commit, for a Git URL")
    analyze.add_argument("--path", help="subdirectory of the repository, for a Git URL")
    analyze.add_argument("-o", "--output", default="table", choices=["table", "json", "yaml"])
    analyze.set_defaults(func=_analyze)

    templates = sub.add_parser("templates", help="list the template gallery")
    templates.set_defaults(func=_templates)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=lambda _args: print(__import__("hydron").__version__) or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
