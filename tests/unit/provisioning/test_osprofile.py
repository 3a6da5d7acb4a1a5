"""os-release of the three supported releases, as they ship, and what differs."""

import pytest

from hydron.provisioning.facts import parse_os_release
from hydron.provisioning.osprofile import UnsupportedOs, profile_for

DEBIAN_12 = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""

UBUNTU_2204 = """\
PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
"""

UBUNTU_2404 = """\
PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
# a comment
LOGO=ubuntu-logo
"""


@pytest.mark.parametrize(
    ("text", "os_id", "version", "codename", "caddy"),
    [
        (DEBIAN_12, "debian", "12", "bookworm", "caddy"),
        (UBUNTU_2204, "ubuntu", "22.04", "jammy", None),
        (UBUNTU_2404, "ubuntu", "24.04", "noble", "caddy"),
    ],
)
def test_supported_releases(text, os_id, version, codename, caddy):
    release = parse_os_release(text)
    assert (release["ID"], release["VERSION_ID"], release["VERSION_CODENAME"]) == (os_id, version, codename)
    profile = profile_for(release["ID"], release["VERSION_ID"])
    assert profile.codename == codename
    assert profile.docker_package == "docker.io"
    assert profile.nftables_package == "nftables"
    assert profile.caddy_package == caddy
    assert profile.ssh_unit == "ssh"


def test_quoted_values_with_spaces_and_comments():
    release = parse_os_release(UBUNTU_2404)
    assert release["PRETTY_NAME"] == "Ubuntu 24.04.1 LTS"
    assert "# a comment" not in release


def test_unsupported_release_names_the_supported_ones():
    with pytest.raises(UnsupportedOs) as caught:
        profile_for("debian", "11")
    assert "debian 11 is not supported" in str(caught.value)
    assert "Debian 12 (bookworm)" in str(caught.value) and "Ubuntu 24.04 (noble)" in str(caught.value)
    with pytest.raises(UnsupportedOs, match="unknown OS"):
        profile_for(None, None)
