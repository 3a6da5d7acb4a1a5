"""Whether a command written for the repository's own image also runs in the image Hydron generates.

A compose file's `command:` belongs to the image its `build:` makes: healthchecks' compose runs
`uwsgi /opt/healthchecks/docker/uwsgi.ini`, a program its Dockerfile installs beside the manifests,
at the path that Dockerfile copies the repository to. Where Hydron generates the image instead
(no Dockerfile for the service), such a command fails (`uwsgi: command not found`); the framework's
own start does not. A command fits when every program it runs is the shell's, the runtime's, one
the app's dependencies install or a file of the repository, and it names no repository file at
another image's layout.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Iterable, Optional

from .starts import RUNNABLE_EXTENSIONS
from .walk import Tree, join

# Programs of the generated image itself, per ecosystem: its runtime and the package manager tools it keeps,
# and where it copies the repository to. Ecosystems not listed are not judged (their commands are kept).
RUNTIMES: dict[str, tuple[frozenset[str], str]] = {
    "python": (frozenset({"python", "python3", "pip", "pip3"}), "/app"),
    "php": (frozenset({"php", "apache2-foreground", "apache2ctl", "composer"}), "/var/www/html"),
}
# Servers a start command runs that are packages of their own (program: package): a generated Python image
# installs them when the manifests do not declare them.
PYTHON_SERVERS = {"gunicorn": "gunicorn", "uvicorn": "uvicorn", "hypercorn": "hypercorn", "daphne": "daphne",
                  "waitress-serve": "waitress", "granian": "granian"}
# Shell built-ins and the base utilities every Debian image has.
SHELL = frozenset({
    "sh", "bash", "cd", "echo", "printf", "sleep", "test", "[", "true", "false", "exec", "export", "set", "unset",
    "wait", "trap", "exit", "read", ":", ".", "source", "env", "cat", "ls", "mkdir", "rm", "cp", "mv", "ln",
    "chmod", "chown", "touch", "tee", "sed", "grep", "timeout", "kill", "nohup", "date", "id", "whoami",
})
_KEYWORDS = frozenset({"while", "until", "if", "then", "else", "elif", "do", "done", "fi", "!", "time", "exec",
                       "nohup", "{", "}"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "\n"})
_REDIRECT = re.compile(r"^\d*(?:<|>|>>|<<|&>|>&|<&)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SYSTEM_DIRS = ("/dev/", "/proc/", "/sys/", "/tmp/", "/etc/", "/usr/", "/bin/", "/sbin/", "/lib/", "/var/", "/run/")


def fits_generated_image(command: str, ecosystem: Optional[str], dependencies: Iterable[str], tree: Tree,
                         path: str) -> bool:
    """Whether the command runs in the image generated for a service of this ecosystem at path."""
    if ecosystem not in RUNTIMES:
        return True
    runtime, app_dir = RUNTIMES[ecosystem]
    installed = {name.split("[")[0].lower() for name in dependencies}
    if ecosystem == "python":
        installed |= set(PYTHON_SERVERS)  # installed when undeclared (planning's dockerfiles.python)
    for words in simple_commands(command):
        program, name = words[0], posixpath.basename(words[0])
        if not ((name in SHELL or name in runtime) and (program == name or _system(program))
                or _installed(name, installed) or _repository_file(program, app_dir, tree, path)):
            return False
        if any(_other_layout(word, app_dir, tree, path) for word in words):
            return False
    return True


def simple_commands(command: str, depth: int = 0) -> list[list[str]]:
    """The program and arguments of each simple command of a shell line, `sh -c '...'` unwrapped, shell
    keywords, variable assignments and redirections left out."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace = " \t\r"  # a newline separates commands
        lexer.wordchars += ":$@%+,={}[]^!~#\\"
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: not a command to judge
        return []
    found: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for token in tokens + [";"]:
        if skip_next:
            skip_next = False
            continue
        if token in _SEPARATORS or (not current and token in _KEYWORDS):
            if current:
                found.append(current)
            current = []
            continue
        if _REDIRECT.match(token):
            skip_next = True  # the redirection's target
            continue
        if not current and _ASSIGNMENT.match(token):
            continue
        current.append(token)
    unwrapped: list[list[str]] = []
    for words in found:
        if posixpath.basename(words[0]) in ("sh", "bash") and "-c" in words[1:-1] and depth < 3:
            unwrapped += simple_commands(words[words.index("-c") + 1], depth + 1)
        else:
            unwrapped.append(words)
    return unwrapped


def _installed(name: str, installed: set[str]) -> bool:
    name = name.lower()
    return name in installed or name.replace("_", "-") in installed or (
        name == "django-admin" and "django" in installed)


def _repository_file(program: str, app_dir: str, tree: Tree, path: str) -> bool:
    if program.startswith(app_dir + "/"):
        program = program[len(app_dir) + 1:]
    elif program.startswith("/"):
        return False
    return tree.has_file(join(path, posixpath.normpath(program)))


def _other_layout(word: str, app_dir: str, tree: Tree, path: str) -> bool:
    """An absolute path that names a file of the repository below another folder than the generated image's."""
    if not word.startswith("/") or word.startswith(app_dir + "/") or _system(word):
        return False
    parts = posixpath.normpath(word).strip("/").split("/")
    # a folder and a file, or a program of the repository: another lone file may be a volume's (/data/app.db)
    last = len(parts) if parts[-1].endswith(RUNNABLE_EXTENSIONS) else len(parts) - 1
    return any(tree.has_file(join(path, "/".join(parts[i:]))) for i in range(last))


def _system(word: str) -> bool:
    return word.startswith(_SYSTEM_DIRS)
