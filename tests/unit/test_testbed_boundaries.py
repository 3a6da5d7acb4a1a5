"""The test bed is a plain package beside the product: the product never imports it, it
never imports pytest or the tests, and the scripts (hack/, bench/) take it, not tests/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a Python file imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(*parts: str) -> list[Path]:
    return sorted((REPO.joinpath(*parts)).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("operator", "hydron"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_product_never_imports_the_test_bed(path):
    assert "hydron_testbed" not in imported_modules(path)


@pytest.mark.parametrize("path", python_files("operator", "hydron_testbed"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_test_bed_imports_neither_pytest_nor_the_tests(path):
    assert not {"pytest", "_pytest", "tests"} & imported_modules(path)


@pytest.mark.parametrize("path", python_files("hack") + python_files("bench"), ids=lambda p: str(p.relative_to(REPO)))
def test_scripts_take_the_test_bed_not_the_tests(path):
    assert "tests" not in imported_modules(path)


def test_the_distribution_leaves_the_test_bed_out():
    """setuptools' package discovery, as pyproject configures it, finds hydron only."""
    tomllib = pytest.importorskip("tomllib")
    from setuptools import find_packages

    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(REPO / find["where"][0]), include=find.get("include", ["*"]), exclude=find.get("exclude", ()))
    assert "hydron" in packages
    assert not [p for p in packages if p.startswith("hydron_testbed")]
