"""Which start commands the LLM may write itself: a runtime or launcher from a short list, then
the repository's own files and plain flags. Nothing else, and nothing a shell would interpret.

This is a grammar, not a list of bad words. A command is split with shlex and must not need
any quoting (so `c''url` is not `curl`), every word must be plain ASCII without shell syntax
(no pipes, `;`, `&&`, `$(...)`, backticks, redirections, globs), and each launcher accepts
only the flags it names here, each with a value of a stated kind. Inline code (`-c`, `-e`,
`--eval`, `-r`), remote URLs and absolute paths have no way in. Candidates the analysis found
in the repository are accepted as they are, elsewhere; this is only for commands the model
writes itself.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

_WORD = re.compile(r"^[A-Za-z0-9_./:=,@%+-]+$")
_INT = re.compile(r"^\d{1,6}$")
_HOST = re.compile(r"^(?:(?:\d{1,3}\.){3}\d{1,3}|localhost|\[::\]|::)?(?::\d{1,5})?$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.,-]*$")  # log levels, environments, queues, worker classes
_URL_PATH = re.compile(r"^/[A-Za-z0-9_./-]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NETWORK_TOOLS = frozenset({"curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "ftp",
                            "tftp", "rsync", "busybox"})
_CODE_FLAGS = frozenset({"-c", "-e", "--eval", "-p", "--print", "-r", "--require", "--import", "--loader",
                         "--experimental-loader", "-x", "--exec", "--command"})
PACKAGE_MANAGERS = ("npm", "pnpm", "yarn", "bun")


@dataclass(frozen=True)
class Files:
    """The service's files as the analysis listed them, relative to the service's directory."""

    paths: frozenset[str]

    @classmethod
    def of(cls, paths: list[str]) -> Files:
        return cls(frozenset(p.removeprefix("./") for p in paths))

    def has(self, path: str) -> bool:
        return _relative(path) and path.removeprefix("./") in self.paths

    def has_module(self, module: str) -> bool:
        base = module.replace(".", "/")
        return any(self.has(p) for p in (f"{base}.py", f"{base}/__init__.py", f"{base}/__main__.py",
                                         f"src/{base}.py", f"src/{base}/__init__.py"))

    def has_dir(self, path: str) -> bool:
        path = path.removeprefix("./").rstrip("/")
        return path in ("", ".") or (_relative(path) and any(p.startswith(path + "/") for p in self.paths))


def _relative(path: str) -> bool:
    return not path.startswith(("/", "~")) and ".." not in path.split("/") and "://" not in path


Check = Callable[[str, Files], bool]


def _file(value: str, files: Files) -> bool:
    return files.has(value)


def _module(value: str, files: Files) -> bool:
    return bool(_MODULE.match(value)) and files.has_module(value)


def _app(value: str, files: Files) -> bool:
    """module:attribute, e.g. app.main:app, with the module in the repository."""
    module, _, attribute = value.partition(":")
    return _module(module, files) and (not attribute or bool(_ATTRIBUTE.match(attribute)))


def _suffix(*suffixes: str) -> Check:
    """A build output the image makes from the repository (a jar, an assembly): relative, plain."""
    return lambda value, files: _relative(value) and value.endswith(suffixes)


KINDS: dict[str, Check] = {
    "int": lambda v, f: bool(_INT.match(v)),
    "host": lambda v, f: bool(_HOST.match(v)) and v != "",
    "bind": lambda v, f: bool(_HOST.match(v.removeprefix("tcp://"))) and v != "",
    "name": lambda v, f: bool(_NAME.match(v)),
    "path": lambda v, f: bool(_URL_PATH.match(v)),
    "dash": lambda v, f: v == "-",
    "file": _file,
    "dir": lambda v, f: f.has_dir(v),
    "module": _module,
    "app": _app,
}


@dataclass(frozen=True)
class Launcher:
    """How one runtime or launcher may be called.

    flags: flag → kind of its value (None: a switch). target: kind of the one positional
    word (what it runs), or None. subcommands: words that must come first. rest: "flags"
    when only more launcher flags may follow the target, "args" when plain words for the
    program itself may follow."""

    flags: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None
    target_optional: bool = False
    subcommands: tuple[str, ...] = ()
    rest: str = "flags"


_PY_SERVER = {"--host": "host", "--port": "int", "--workers": "int", "--proxy-headers": None,
              "--no-proxy-headers": None, "--forwarded-allow-ips": "name", "--factory": None, "--app-dir": "dir",
              "--root-path": "path", "--log-level": "name", "--timeout-keep-alive": "int", "--no-access-log": None,
              "--loop": "name", "--http": "name", "--lifespan": "name", "--interface": "name",
              "--limit-concurrency": "int"}
_GUNICORN = {"-b": "host", "--bind": "host", "-w": "int", "--workers": "int", "-k": "name", "--worker-class": "name",
             "--threads": "int", "-t": "int", "--timeout": "int", "--graceful-timeout": "int", "--keep-alive": "int",
             "--chdir": "dir", "-c": "file", "--config": "file", "--access-logfile": "dash", "--error-logfile": "dash",
             "--log-level": "name", "--preload": None, "--forwarded-allow-ips": "name", "--max-requests": "int",
             "--max-requests-jitter": "int"}
_RAILS_SERVER = {"-b": "host", "--binding": "host", "-p": "int", "--port": "int", "-e": "name",
                 "--environment": "name"}
_PUMA = {"-C": "file", "--config": "file", "-b": "bind", "--bind": "bind", "-p": "int", "--port": "int",
         "-e": "name", "--environment": "name", "-w": "int", "--workers": "int", "-t": "name", "--threads": "name"}

LAUNCHERS: dict[str, Launcher] = {
    "node": Launcher(flags={"--enable-source-maps": None, "--max-old-space-size": "int", "--no-warnings": None},
                     target="file", rest="args"),
    "bun": Launcher(target="file", rest="args"),
    "python": Launcher(flags={"-u": None, "-O": None, "-B": None, "-m": "module"}, target="file", rest="args"),
    "uvicorn": Launcher(flags=_PY_SERVER, target="app"),
    "gunicorn": Launcher(flags=_GUNICORN, target="app"),
    "hypercorn": Launcher(flags={"-b": "host", "--bind": "host", "-w": "int", "--workers": "int", "-k": "name",
                                 "--worker-class": "name", "--root-path": "path", "--log-level": "name"},
                          target="app"),
    "daphne": Launcher(flags={"-b": "host", "--bind": "host", "-p": "int", "--port": "int", "--root-path": "path"},
                       target="app"),
    "celery": Launcher(flags={"-A": "app", "--app": "app", "-l": "name", "--loglevel": "name", "-c": "int",
                              "--concurrency": "int", "-Q": "name", "--queues": "name", "-B": None, "--beat": None,
                              "--pool": "name", "--without-gossip": None, "--without-mingle": None},
                       subcommands=("worker", "beat")),
    "flask": Launcher(flags={"--app": "app", "-A": "app", "--host": "host", "-h": "host", "--port": "int",
                             "-p": "int"}, subcommands=("run",)),
    "streamlit": Launcher(flags={"--server.port": "int", "--server.address": "host", "--server.headless": "name"},
                          subcommands=("run",), target="file"),
    "rails": Launcher(flags=_RAILS_SERVER, subcommands=("server", "s")),
    "puma": Launcher(flags=_PUMA, target="file", target_optional=True),
    "rackup": Launcher(flags={"-p": "int", "--port": "int", "-o": "host", "--host": "host", "-E": "name",
                              "--env": "name"}, target="file", target_optional=True),
    "sidekiq": Launcher(flags={"-C": "file", "--config": "file", "-q": "name", "--queue": "name", "-c": "int",
                               "--concurrency": "int", "-e": "name", "--environment": "name"}),
    "ruby": Launcher(target="file", rest="args"),
    "php": Launcher(flags={"-S": "host", "-t": "dir"}, target="file", target_optional=True, rest="args"),
    "java": Launcher(flags={"-jar": "jar"}),
    "dotnet": Launcher(target="dll"),
    "sh": Launcher(target="file", rest="args"),
    "bash": Launcher(target="file", rest="args"),
    "mix": Launcher(flags={"--no-halt": None}, subcommands=("phx.server", "run")),
}
_ALIASES = {"python3": "python", "bin/rails": "rails", "./bin/rails": "rails"}
_JAVA_MEMORY = re.compile(r"^-X(?:mx|ms|ss)\d+[kKmMgG]?$")
KINDS["jar"] = _suffix(".jar")
KINDS["dll"] = _suffix(".dll")


def words(command: str) -> list[str] | str:
    """The command's words, or why it cannot be read without a shell."""
    try:
        split = shlex.split(command)
    except ValueError:
        return "it does not split into words (unbalanced quotes)"
    if not split:
        return "it is empty"
    if split != command.split():
        return "it relies on quoting or escaping, which a plain command never needs"
    odd = next((w for w in split if not _WORD.match(w)), None)
    if odd is not None:
        return f"the word {_show(odd)} contains characters a plain command never needs (shell syntax)"
    tool = next((w for w in split if w.rsplit("/", 1)[-1] in _NETWORK_TOOLS), None)
    if tool is not None:
        return f"it runs or names the network tool {_show(tool)}"
    if any("://" in w for w in split if not w.startswith("tcp://")):
        return "it names a URL; a start command runs only what the image contains"
    return split


def check(command: str, files: list[str], package_manager: str | None = None) -> str | None:
    """None when the command may start the service, else why not."""
    split = words(command)
    if isinstance(split, str):
        return split
    repository = Files.of(files)
    program, args = split[0], split[1:]
    if program == "bundle" and args[:1] == ["exec"] and len(args) > 1:
        program, args = args[1], args[2:]
    if program in PACKAGE_MANAGERS:
        return _package_manager(program, args, package_manager)
    name = _ALIASES.get(program, program)
    launcher = LAUNCHERS.get(name)
    if launcher is None:
        if repository.has(program):
            return _plain_args(args)  # a script or executable of the repository itself
        return (f"it starts {_show(program)}, which is neither a runtime Hydron knows nor a file of the "
                "repository")
    return _launcher(name, launcher, args, repository)


def _package_manager(program: str, args: list[str], package_manager: str | None) -> str | None:
    if package_manager != program:
        return f"the service's package manager is {package_manager or 'unknown'}, not {program}"
    if args in (["start"], ["run", "start"]):
        return None
    return f"{program} {' '.join(args)} is not one of the start candidates the analysis found"


def _launcher(name: str, launcher: Launcher, args: list[str], files: Files) -> str | None:
    position = 0
    target_seen = launcher.target is None
    subcommand_seen = not launcher.subcommands
    while position < len(args):
        word = args[position]
        if not subcommand_seen and word in launcher.subcommands:
            subcommand_seen = True
            position += 1
            continue
        if name == "java" and _JAVA_MEMORY.match(word):
            position += 1
            continue
        if word.startswith("-") and word != "-":
            flag, has_inline, inline = word.partition("=")
            if flag not in launcher.flags:
                return f"{name} does not take {_show(flag)} here"
            kind = launcher.flags[flag]
            if kind is None:
                if has_inline:
                    return f"{name} {flag} takes no value"
                position += 1
                continue
            if has_inline:
                value, position = inline, position + 1
            elif position + 1 < len(args):
                value, position = args[position + 1], position + 2
            else:
                return f"{name} {flag} needs a value"
            if not KINDS[kind](value, files):
                return f"{name} {flag} {_show(value)} is not a {_KIND_NAMES[kind]}"
            if name == "python" and flag == "-m":
                target_seen = True
                if launcher.rest == "args":
                    return _plain_args(args[position:])
            continue
        if not target_seen and subcommand_seen:
            if not KINDS[launcher.target](word, files):
                return f"{name} would run {_show(word)}, which is not a {_KIND_NAMES[launcher.target]}"
            target_seen = True
            position += 1
            if launcher.rest == "args":
                return _plain_args(args[position:])
            continue
        return f"{name} does not take {_show(word)} here"
    if not subcommand_seen:
        return f"{name} must be followed by {' or '.join(launcher.subcommands)}"
    if not target_seen and not launcher.target_optional:
        return f"{name} needs a {_KIND_NAMES[launcher.target]} to run"
    return None


def _plain_args(args: list[str]) -> str | None:
    """Words for the repository's own program: plain, and none that makes an interpreter run code."""
    code = next((a for a in args if a.partition("=")[0] in _CODE_FLAGS), None)
    if code is not None:
        return f"it passes {_show(code)}, which makes programs run inline code"
    absolute = next((a for a in args if a.partition("=")[2].startswith("/") or a.startswith("/")), None)
    if absolute is not None:
        return f"it names {_show(absolute)}, a path outside the repository"
    return None


_KIND_NAMES = {
    "int": "number", "host": "listen address", "bind": "listen address", "name": "plain name", "path": "URL path",
    "dash": "'-' (standard output)", "file": "file of the repository", "dir": "directory of the repository",
    "module": "Python module of the repository", "app": "module:attribute of the repository",
    "jar": "relative .jar path", "dll": "relative .dll path",
}


def _show(word: str, limit: int = 60) -> str:
    word = word if len(word) <= limit else word[: limit - 1] + "…"
    return repr(word)
