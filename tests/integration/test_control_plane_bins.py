"""hack/control-plane-bins.sh honours KUBEBUILDER_ASSETS, the envtest convention."""

import subprocess
from pathlib import Path

from hydron_testbed.controlplane import BINS_SCRIPT


def _bins(env):
    result = subprocess.run(["bash", str(BINS_SCRIPT)], env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1], result.stderr


def test_kubebuilder_assets_are_used_instead_of_the_cache(control_plane, tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("kube-apiserver", "etcd", "kubectl"):
        (assets / name).symlink_to(control_plane.bins / name)
    env = {**control_plane.env(), "KUBEBUILDER_ASSETS": str(assets), "HYDRON_CACHE": str(control_plane.bins.parents[1])}

    directory, log = _bins(env)

    assert f"using KUBEBUILDER_ASSETS={assets}" in log
    out = Path(directory)
    assert (out / "kube-apiserver").resolve() == (control_plane.bins / "kube-apiserver").resolve()
    assert (out / "kube-apiserver").readlink() == assets / "kube-apiserver"
    assert (out / "helm").exists()


def test_incomplete_kubebuilder_assets_fall_back_to_the_cache(control_plane, tmp_path):
    env = {**control_plane.env(), "KUBEBUILDER_ASSETS": str(tmp_path), "HYDRON_CACHE": str(control_plane.bins.parents[1])}
    directory, log = _bins(env)
    assert "lacks kube-apiserver etcd kubectl" in log
    assert directory == str(control_plane.bins)
