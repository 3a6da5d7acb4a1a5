"""People's SSH keys beside Hydron's: only Hydron's block changes, Hydron's key stays."""

from __future__ import annotations

import asyncssh
import pytest

from hydron.api.server import KeysSource
from hydron.provisioning import authorized_keys as ak


def public(comment: str) -> str:
    kind, blob = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[:2]
    return f"{kind} {blob} {comment}"


HYDRON, ANN, BOB, ADMIN = public("hydron"), public("ann@laptop"), public("bob@desk"), public("admin-by-hand")


def test_people_keys_go_into_a_block_after_what_was_there():
    text = ak.render(f"{HYDRON}\n{ADMIN}\n", [ANN, BOB], HYDRON)
    assert text.splitlines() == [HYDRON, ADMIN, ak.BEGIN, ANN, BOB, ak.END]
    assert ak.render(text, [ANN, BOB], HYDRON) == text  # nothing to do the second time


def test_a_removed_key_leaves_and_everything_outside_the_block_stays():
    text = ak.render(f"{HYDRON}\n{ADMIN}\n", [ANN, BOB], HYDRON)
    assert ak.render(text, [BOB], HYDRON).splitlines() == [HYDRON, ADMIN, ak.BEGIN, BOB, ak.END]
    assert ak.render(text, [], HYDRON).splitlines() == [HYDRON, ADMIN]


def test_hydrons_key_is_never_removed_even_when_listed_then_dropped():
    listed = ak.render(f"{HYDRON}\n", [HYDRON.replace(" hydron", " copied"), ANN], HYDRON)
    assert listed.splitlines() == [HYDRON, ak.BEGIN, ANN, ak.END]  # not twice, and not inside the block
    assert ak.render(listed, [], HYDRON).splitlines() == [HYDRON]
    # a file that lost it (an edit by hand) gets it back outside the block
    assert ak.render(f"{ak.BEGIN}\n{ANN}\n{ak.END}\n", [ANN], HYDRON).splitlines() == [HYDRON, ak.BEGIN, ANN, ak.END]


def test_key_sources_are_read_line_by_line_and_a_bad_line_is_named():
    assert ak.parse_keys(f"# team\n\n{ANN}\n  {BOB}  \n", "ConfigMap team key keys") == [ANN, BOB]
    with pytest.raises(ak.InvalidKeys) as caught:
        ak.parse_keys(f"{ANN}\nssh-rsa not-a-key\n", "ConfigMap team key keys")
    assert "line 2 of ConfigMap team key keys is not an SSH public key" in str(caught.value)


def test_a_source_names_exactly_one_of_configmap_or_secret():
    assert KeysSource.model_validate({"configMapKeyRef": {"name": "team", "key": "keys"}}).describe() == \
        "ConfigMap team key keys"
    for bad in ({}, {"configMapKeyRef": {"name": "a", "key": "k"}, "secretKeyRef": {"name": "b", "key": "k"}}):
        with pytest.raises(ValueError, match="exactly one"):
            KeysSource.model_validate(bad)
