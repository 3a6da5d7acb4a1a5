"""`kubectl hydron`: a view of Hydron's resources for people at a terminal."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

KINDS = ("applications.hydron.dev", "infraplans.hydron.dev", "servers.hydron.dev", "deployments.hydron.dev")


def _status(args: argparse.Namespace) -> int:
    """Show every Hydron resource in the namespace, grouped by kind."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl is not on PATH", file=sys.stderr)
        return 1
    cmd = [kubectl, "get", ",".join(KINDS)]
    cmd += ["-A"] if args.all_namespaces else (["-n", args.namespace] if args.namespace else [])
    if args.output:
        cmd += ["-o", args.output]
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubectl hydron", description="Hydron: your apps on your servers.")
    sub = parser.add_subparsers(dest="command", required=True)
    status = sub.add_parser("status", help="list Applications, InfraPlans, Servers and Deployments")
    status.add_argument("-n", "--namespace")
    status.add_argument("-A", "--all-namespaces", action="store_true")
    status.add_argument("-o", "--output", choices=["wide", "json", "yaml"])
    status.set_defaults(func=_status)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
