"""A built image is checked against the plan before any rollout: its start command's
program is in it and executable (found as the shell would find it, symlinks
followed), and the port and non-root user where the plan says so."""

import base64
import json

from hydron.api.deployment import ImageExpectations
from hydron.build.verify import MODE_DIR, MODE_SYMLINK, Stat, candidates, decode_stat, problems, programs

EXE, FILE = 0o755, 0o644


def image(**files: Stat):
    """A lookup over an image's files: path → Stat."""
    table = {path.replace("__", "/"): stat for path, stat in files.items()}
    return lambda path: table.get(path)


def test_the_programs_of_a_command_include_a_shell_scripts_first_word():
    assert programs(["node", "server.js"]) == ["node"]
    assert programs(["/bin/sh", "-c", "PORT=1 exec gunicorn app:app"]) == ["/bin/sh", "gunicorn"]
    assert programs(["sh", "-c", "cd /app && node x"]) == ["sh"]  # a builtin first: only the shell
    assert programs([]) == []


def test_a_bare_name_is_looked_for_in_the_images_path_and_a_relative_one_in_its_workdir():
    assert candidates("node", "/usr/local/bin:/usr/bin", "/app") == ["/usr/local/bin/node", "/usr/bin/node"]
    assert candidates("./bin/app", None, "/srv") == ["/srv/bin/app"]
    assert candidates("/app/server", None, None) == ["/app/server"]


def test_an_image_with_its_program_passes():
    config = {"Cmd": ["node", "server.js"], "Env": ["PATH=/usr/local/bin:/usr/bin"], "ExposedPorts": {"3000/tcp": {}},
              "User": "node"}
    lookup = image(**{"/usr/bin/node": Stat(EXE)})
    assert problems(config, [], ImageExpectations(port=3000, non_root=True), lookup) == []


def test_a_symlinked_program_is_followed_to_its_target():
    config = {"Entrypoint": ["/usr/local/bin/app"]}
    lookup = image(**{"/usr/local/bin/app": Stat(MODE_SYMLINK | 0o777, "../lib/app/run"), "/usr/local/lib/app/run": Stat(EXE)})
    assert problems(config, [], None, lookup) == []
    dangling = image(**{"/usr/local/bin/app": Stat(MODE_SYMLINK | 0o777, "/nowhere")})
    assert "app is not in the image" in problems(config, [], None, dangling)[0]


def test_a_missing_program_is_named_with_where_it_was_looked_for():
    config = {"Cmd": ["/bin/sh", "-c", "gunicorn app:app"], "Env": ["PATH=/usr/local/bin:/bin"]}
    found = problems(config, [], None, image(**{"/bin/sh": Stat(EXE)}))
    assert found == ["its start command `/bin/sh -c 'gunicorn app:app'` cannot run: gunicorn is not in the image "
                     "(looked in PATH /usr/local/bin:/bin)"]


def test_the_plans_command_wins_over_the_images_and_must_be_there_too():
    config = {"Cmd": ["node", "server.js"]}
    found = problems(config, ["/app/worker"], None, image(**{"/usr/bin/node": Stat(EXE), "/app/worker": Stat(FILE)}))
    assert found and "/app/worker is not executable" in found[0]


def test_a_scratch_image_without_a_command_or_with_a_directory_says_so():
    assert problems({}, [], None, image())[0].startswith("it has no command to start")
    found = problems({"Entrypoint": ["/app"]}, [], None, image(**{"/app": Stat(MODE_DIR | EXE)}))
    assert "/app is a directory" in found[0]


def test_the_port_and_user_are_checked_where_the_plan_says_so():
    config = {"Cmd": ["/srv/app"], "ExposedPorts": {"8080/tcp": {}}, "User": ""}
    lookup = image(**{"/srv/app": Stat(EXE)})
    assert problems(config, [], None, lookup) == []  # a repository's own Dockerfile: not the plan's to say
    found = problems(config, [], ImageExpectations(port=3000, non_root=True), lookup)
    assert found == ["it does not EXPOSE port 3000 the plan routes to (exposes: 8080/tcp)",
                     "it runs as root (USER unset), and the plan runs it as a non-root user"]
    assert problems({**config, "User": "0:0"}, [], ImageExpectations(non_root=True), lookup)


def test_the_engines_stat_header_is_decoded():
    stat = {"name": "node", "size": 1, "mode": MODE_SYMLINK | 0o777, "linkTarget": "/usr/bin/node"}
    header = base64.b64encode(json.dumps(stat).encode()).decode()
    assert decode_stat(header) == Stat(MODE_SYMLINK | 0o777, "/usr/bin/node")
    assert decode_stat(None) is None
