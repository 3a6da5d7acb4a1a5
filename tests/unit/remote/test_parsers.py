from hydron.remote.builders import apt, docker, sshd

DEBIAN_SIMULATION = """\
NOTE: This is only a simulation!
Reading package lists...
Inst perl-base [5.36.0-7+deb12u3] (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security [amd64])
Inst libc-bin [2.36-9+deb12u9] (2.36-9+deb12u10 Debian:12.11/oldstable [amd64])
Inst tzdata [2026b-0+deb12u1] (2026f-0+deb12u1 Debian-Security:12/oldstable-security [all])
Conf tzdata (2026f-0+deb12u1 Debian-Security:12/oldstable-security [all])
"""

UBUNTU_SIMULATION = """\
Inst libc6 [2.35-0ubuntu3.1] (2.35-0ubuntu3.4 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Inst snapd [2.58+22.04] (2.61.3+22.04 Ubuntu:22.04/jammy-updates [amd64])
Inst openssl [3.0.13-0ubuntu3] (3.0.13-0ubuntu3.4 Ubuntu:24.04/noble-security [amd64])
"""


def test_security_upgrades_on_debian():
    upgrades = apt.parse_upgrades(DEBIAN_SIMULATION)
    assert [(u.package, u.security) for u in upgrades] == [("perl-base", True), ("libc-bin", False), ("tzdata", True)]
    assert upgrades[0].current == "5.36.0-7+deb12u3" and upgrades[0].candidate == "5.36.0-7+deb12u4"


def test_security_upgrades_on_ubuntu_count_when_any_origin_is_security():
    upgrades = apt.parse_upgrades(UBUNTU_SIMULATION)
    assert [(u.package, u.security) for u in upgrades] == [("libc6", True), ("snapd", False), ("openssl", True)]


def test_installed_packages_exclude_half_installed_and_removed_ones():
    out = "docker.io\tinstalled\t20.10.24+dfsg1-1+b3\ncaddy\tconfig-files\t2.6.2-5\nnftables\thalf-installed\t1.0.6-2\n"
    assert apt.parse_installed(out) == {"docker.io": "20.10.24+dfsg1-1+b3"}


def test_package_lists_age():
    assert apt.parse_lists_age("1700000100 1700000000") == 100.0
    assert apt.parse_lists_age("1700000100 0") is None
    assert apt.parse_lists_age("") is None


def test_image_tags_skip_dangling_images():
    out = "debian:bookworm-slim\n<none>:<none>\npython:3.11-slim\n"
    assert docker.parse_image_tags(out) == {"debian:bookworm-slim", "python:3.11-slim"}


def test_effective_sshd_settings_keep_the_first_value():
    out = "port 22\npasswordauthentication no\npermitrootlogin without-password\npasswordauthentication yes\n"
    assert sshd.parse_effective(out) == {"port": "22", "passwordauthentication": "no", "permitrootlogin": "without-password"}
