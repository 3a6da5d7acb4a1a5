"""`kubectl hydron`: Hydron's resources for people at a terminal and for scripts.

kubectl finds the `kubectl-hydron` executable on PATH and hands it every argument
after `hydron`. This module only parses arguments and wires the pure renderers
(plugin_status, plugin_plan) to the API (plugin_kube).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

from hydron.cli.plugin_actions import deployment_for, patch_plan, plan_for
from hydron.cli.plugin_kube import PluginError, Session, connect
from hydron.cli.plugin_plan import (
    PlanRefused,
    approval_patch,
    change_request_patch,
    diff_summary,
    render_diff,
    render_show,
)
from hydron.cli.plugin_status import (
    deployment_name,
    list_rows,
    plan_name,
    render_app,
    render_list,
    server_name,
    summarize,
)
from hydron.cli.plugin_deploy import (
    app_label,
    build_logs_command,
    choose_release,
    describe_release,
    kept_logs_command,
    pick_service,
    rollback_patch,
    service_logs_command,
)
from hydron.cli.plugin_watch import follow, snapshot, summary_of
from hydron.cli.plugin_ssh import remote_line, run_ssh
from hydron.cli.render import Style, dump, utcnow, wants_colour

Connect = Callable[[str | None, str | None, str | None], Session]


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """kubectl's connection flags; on subcommands they default to SUPPRESS so a flag given
    before the subcommand (`kubectl hydron -n shop status`) is not overwritten."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--kubeconfig", help="path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)", **default)
    parser.add_argument("--context", help="kubeconfig context to use (default: the current context)", **default)
    parser.add_argument("-n", "--namespace", help="namespace (default: the context's namespace)", **default)


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table",
                        help="table for people, json or yaml for scripts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubectl hydron", description="Hydron: your apps on your own servers.")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = sub.add_parser("status", help="one app across its four resources, or all apps in the namespace")
    _common(status, suppress=True)
    status.add_argument("app", nargs="?", metavar="APP", help="Application name; omit for a table of all apps")
    status.add_argument("-A", "--all-namespaces", action="store_true", help="list apps in every namespace")
    status.add_argument("-w", "--watch", action="store_true",
                        help="after the status, print each change as it happens (steps, conditions, releases)")
    _output(status)
    status.set_defaults(func=cmd_status)

    plan = sub.add_parser("plan", help="review, approve or ask for changes to an app's InfraPlan")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    show = plan_sub.add_parser("show", help="the plan: server and price, services, routes, firewall, findings")
    diff = plan_sub.add_parser("diff", help="what changed in the latest revision")
    approve = plan_sub.add_parser("approve", help="approve the current revision (spec.approval)")
    request = plan_sub.add_parser("request-changes", help="ask for a revised plan in plain words")
    for action in (show, diff, approve, request):
        _common(action, suppress=True)
        action.add_argument("app", metavar="APP", help="Application name")
    _output(show)
    _output(diff)
    approve.add_argument("--revision", type=int, help="revision to approve (default: the current status.revision)")
    request.add_argument("message", help='the change, e.g. "use a server in Helsinki"')
    show.set_defaults(func=cmd_plan_show)
    diff.set_defaults(func=cmd_plan_diff)
    approve.set_defaults(func=cmd_plan_approve)
    request.set_defaults(func=cmd_plan_request_changes)

    ssh = sub.add_parser("ssh", help="a shell (or one command) on a server, with the key and host key Hydron holds")
    _common(ssh, suppress=True)
    ssh.add_argument("server", metavar="SERVER", help="Server name")
    ssh.add_argument("remote", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                     help="run this program with these arguments, exactly as given, instead of a shell")
    ssh.set_defaults(func=cmd_ssh)

    logs = sub.add_parser("logs", help="a service's logs, or its build's (--build), read on the server")
    _common(logs, suppress=True)
    logs.add_argument("app", metavar="APP", help="Application name")
    logs.add_argument("service", nargs="?", metavar="SERVICE", help="service (default: the only or the public one)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--build", action="store_true", help="the image build's output (the running or the last build)")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines (default: all)")
    logs.add_argument("--since", metavar="WHEN", help="service logs since a time or duration, e.g. 10m (docker logs --since)")
    logs.add_argument("--timestamps", action="store_true", help="prefix each service log line with its time")
    logs.add_argument("--previous", action="store_true",
                      help="the kept logs of containers a redeploy replaced (Server spec.logRetentionDays)")
    logs.set_defaults(func=cmd_logs)

    rollback = sub.add_parser("rollback", help="run an earlier release again (images and config), or --clear the pin")
    _common(rollback, suppress=True)
    rollback.add_argument("app", metavar="APP", help="Application name")
    rollback.add_argument("release", nargs="?", type=int, metavar="RELEASE",
                          help="release number from `kubectl hydron status APP` (default: the one before the active)")
    rollback.add_argument("--clear", action="store_true", help="follow the Application's commits again")
    rollback.set_defaults(func=cmd_rollback)

    ui = sub.add_parser("ui", help="the web view: apps, runs, plan and chat in your browser, as your kubeconfig user "
                                   "(apps of all namespaces you may read, or of -n NAMESPACE)")
    _common(ui, suppress=True)
    ui.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    ui.add_argument("--no-browser", action="store_true", help="only print the URL")
    ui.set_defaults(func=cmd_ui)
    return parser


class Io:
    """Where output goes and how it looks."""

    def __init__(self, out: TextIO, err: TextIO, style: Style) -> None:
        self.out, self.err, self.style = out, err, style

    def emit(self, text: str) -> None:
        self.out.write(text)


def cmd_status(args: argparse.Namespace, session: Session, io: Io) -> int:
    now = utcnow()
    if args.watch:
        return watch_status(args, session, io)
    if args.app is None:
        apps = session.list("Application", args.all_namespaces)
        plans = session.list("InfraPlan", args.all_namespaces)
        rows = list_rows(apps, plans, now)
        if args.output != "table":
            io.emit(dump(rows, args.output))
        else:
            io.emit(render_list(rows, None if args.all_namespaces else session.namespace, io.style))
        return 0
    app = session.get("Application", args.app)
    plan = session.get("InfraPlan", plan_name(app), missing_ok=True)
    deployment = session.get("Deployment", deployment_name(app), missing_ok=True)
    server_ = server_name(app, plan, deployment)
    server = session.get("Server", server_, missing_ok=True) if server_ else None
    summary = summarize(app, plan, server, deployment, now)
    io.emit(dump(summary, args.output) if args.output != "table" else render_app(summary, io.style))
    return 0


def watch_status(args: argparse.Namespace, session: Session, io: Io) -> int:
    """The status once, then a line per change, until Ctrl-C."""
    if args.app is None or args.output != "table":
        raise PluginError("status -w follows one app as text: kubectl hydron status APP -w")
    objects, versions = snapshot(session)
    first = summary_of(objects, args.app, utcnow())
    if first is None:
        session.get("Application", args.app)  # not found: says where it looked
        raise PluginError(f"Application {args.app!r} not found in namespace {session.namespace!r}", status=404)
    io.emit(render_app(first, io.style) + "\n")

    def emit(text: str) -> None:
        io.emit(text)
        io.out.flush()

    io.out.flush()
    follow(session, args.app, emit, utcnow, objects, versions, io.style)
    return 0


def cmd_plan_show(args: argparse.Namespace, session: Session, io: Io) -> int:
    plan = plan_for(session, args.app)
    io.emit(dump(plan, args.output) if args.output != "table" else render_show(plan, io.style))
    return 0


def cmd_plan_diff(args: argparse.Namespace, session: Session, io: Io) -> int:
    summary = diff_summary(plan_for(session, args.app))
    io.emit(dump(summary, args.output) if args.output != "table" else render_diff(summary, io.style))
    return 0


def cmd_plan_approve(args: argparse.Namespace, session: Session, io: Io) -> int:
    plan = plan_for(session, args.app)
    who = session.whoami()
    patched = patch_plan(session, plan, lambda p: approval_patch(p, args.revision, who))
    revision = patched["spec"]["approval"]["revision"]
    io.emit(f"Approved revision {revision} of InfraPlan {patched['metadata']['name']} as {who}. "
            f"Follow it with: kubectl hydron status {args.app}\n")
    return 0


def cmd_plan_request_changes(args: argparse.Namespace, session: Session, io: Io) -> int:
    plan = plan_for(session, args.app)
    who = session.whoami()
    patched = patch_plan(session, plan, lambda p: change_request_patch(p, args.message, who))
    count = len(patched["spec"].get("changeRequests") or [])
    io.emit(f"Asked for changes to InfraPlan {patched['metadata']['name']} (request {count}, by {who}). "
            f"A revised plan follows; see it with: kubectl hydron plan diff {args.app}\n")
    return 0


def cmd_ssh(args: argparse.Namespace, session: Session, io: Io) -> int:
    remote = args.remote[1:] if args.remote[:1] == ["--"] else args.remote
    return run_ssh(session, args.server, remote_line(remote))


def cmd_logs(args: argparse.Namespace, session: Session, io: Io) -> int:
    deployment = deployment_for(session, args.app)
    service = pick_service(deployment, args.service)
    server = session.get("Server", deployment["spec"]["serverRef"]["name"])
    user = server["spec"].get("user", "root")
    if args.build:
        command = build_logs_command(app_label(deployment), service, follow=args.follow, tail=args.tail, user=user)
    elif args.previous:
        if args.follow or args.since:
            raise PluginError("--previous reads the kept logs of replaced containers: use --tail, not -f or --since")
        command = kept_logs_command(app_label(deployment), service, tail=args.tail, user=user)
    else:
        command = service_logs_command(app_label(deployment), service, follow=args.follow, tail=args.tail,
                                       since=args.since, timestamps=args.timestamps, user=user)
    return run_ssh(session, server, command)


def cmd_rollback(args: argparse.Namespace, session: Session, io: Io) -> int:
    deployment = deployment_for(session, args.app)
    name = deployment["metadata"]["name"]
    if args.clear:
        session.merge_patch("Deployment", name, rollback_patch(None))
        io.emit(f"{name} follows its Application again; the newest commit rolls out next. "
                f"Follow it with: kubectl hydron status {args.app}\n")
        return 0
    release = choose_release(deployment, args.release)
    session.merge_patch("Deployment", name, rollback_patch(release["number"]))
    io.emit(f"Rolling {name} back to {describe_release(release)}, its images and configuration as they were.\n"
            f"Follow it with: kubectl hydron status {args.app}\n"
            f"New commits wait until you run: kubectl hydron rollback {args.app} --clear\n")
    return 0


def cmd_ui(args: argparse.Namespace, session: Session, io: Io) -> int:
    from hydron.web.serve import serve  # aiohttp and the web view load only for this command

    # Without -n the list spans every namespace the user may list apps in (RBAC decides);
    # -n keeps it to one namespace. Either way an app's actions go to its own namespace.
    everywhere = getattr(args, "namespace", None) is None
    return serve(session, args.port, not args.no_browser, io.out, all_namespaces=everywhere)


def main(argv: list[str] | None = None, connector: Connect = connect,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    io = Io(out, err, Style(wants_colour(out)))
    try:
        session = connector(args.kubeconfig, args.context, args.namespace)
        return int(args.func(args, session, io))
    except (PluginError, PlanRefused) as error:
        err.write(f"error: {getattr(error, 'message', None) or error}\n")
        return getattr(error, "code", 1)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
