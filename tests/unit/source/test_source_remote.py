"""Reading ls-remote output and choosing a ref the way git does."""

from __future__ import annotations

from hydron.source.remote import RemoteRefs, candidates, describe_branches, is_commit_ref, patterns_for, pick_ref

A, B, C, T = "a" * 40, "b" * 40, "c" * 40, "d" * 40

LS_REMOTE = f"""ref: refs/heads/main\tHEAD
{A}\tHEAD
{B}\trefs/heads/dev
{A}\trefs/heads/main
{C}\trefs/heads/same
{T}\trefs/tags/same
{A}\trefs/tags/same^{{}}
{C}\trefs/tags/light
{B}\trefs/pull/7/head
garbage line
"""


def test_parse_symref_and_peeled_tags() -> None:
    refs = RemoteRefs.parse(LS_REMOTE)
    assert refs.head_target == "refs/heads/main"
    assert refs.refs["refs/tags/same"] == A  # the commit, not the tag object
    assert refs.refs["refs/tags/light"] == C
    assert refs.branches() == ["dev", "main", "same"]
    assert refs.tags() == ["light", "same"]


def test_pick_follows_gits_order() -> None:
    refs = RemoteRefs.parse(LS_REMOTE)
    assert pick_ref(refs, None) == ("refs/heads/main", A)
    assert pick_ref(refs, "HEAD") == ("refs/heads/main", A)
    assert pick_ref(refs, "dev") == ("refs/heads/dev", B)
    assert pick_ref(refs, "same") == ("refs/tags/same", A)  # tags before branches
    assert pick_ref(refs, "heads/same") == ("refs/heads/same", C)
    assert pick_ref(refs, "refs/pull/7/head") == ("refs/pull/7/head", B)
    assert pick_ref(refs, "nope") is None
    assert pick_ref(RemoteRefs.parse(""), None) is None  # empty repository


def test_head_without_symref_falls_back_to_head() -> None:
    refs = RemoteRefs.parse(f"{A}\tHEAD\n{A}\trefs/heads/trunk\n")
    assert pick_ref(refs, None) == ("HEAD", A)


def test_candidates_and_patterns() -> None:
    assert candidates("v1") == ["refs/v1", "refs/tags/v1", "refs/heads/v1"]
    assert candidates("refs/heads/x") == ["refs/heads/x"]
    assert patterns_for(None) == ["HEAD"]
    assert patterns_for("v1") == ["v1", "v1^{}"]


def test_branch_list_is_bounded() -> None:
    assert describe_branches([]) == "the remote has no branches"
    many = describe_branches([f"b{i:02d}" for i in range(45)])
    assert many.startswith("branches on the remote are: b00, b01") and many.endswith("and 25 more")


def test_is_commit_ref() -> None:
    assert is_commit_ref("a" * 40) and is_commit_ref("0123abc") and is_commit_ref("0123ABCD")
    assert not is_commit_ref(None) and not is_commit_ref("main") and not is_commit_ref("cafe")
