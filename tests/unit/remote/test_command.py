from hydron.remote.command import Command, mutate, observe, shell, with_privilege


def test_root_runs_commands_as_they_are():
    assert with_privilege(mutate("apt-get", "update"), "root") == ("apt-get", "update")


def test_other_users_get_sudo_that_never_prompts():
    assert with_privilege(mutate("apt-get", "update"), "deploy") == ("sudo", "-n", "--", "apt-get", "update")


def test_unprivileged_commands_keep_the_login_users_environment():
    probe = observe("uname", "-r", privileged=False)
    assert with_privilege(probe, "deploy") == ("uname", "-r")


def test_shell_passes_values_as_positional_arguments_not_script_text():
    cmd = shell('cat -- "$1"', "/etc/it's here")
    assert cmd.argv == ("sh", "-c", 'cat -- "$1"', "sh", "/etc/it's here")
    assert cmd.line() == "sh -c 'cat -- \"$1\"' sh '/etc/it'\"'\"'s here'"


def test_kinds_and_accepted_exit_statuses():
    assert mutate("true").mutates and not observe("true").mutates
    probe = observe("nft", "list", "table", "inet", "x", ok_exit=(0, 1))
    assert probe.accepts(1) and not probe.accepts(2)
    assert Command(("true",)).accepts(0) and not Command(("true",)).accepts(None)
