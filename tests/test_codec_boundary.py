"""Whoosh's internals are used in one package only, and only the Whoosh release it was checked against."""

from __future__ import annotations

import ast
import re
import tomllib
import warnings
from pathlib import Path

import pytest
import whoosh
from click.testing import CliRunner

from indexer import codec
from indexer.cli import main as reindex_main
from search_app.web.serve import main as serve_main

ROOT = Path(__file__).resolve().parent.parent
CODEC = ROOT / "indexer" / "codec"


def _whoosh_private_names() -> set[str]:
    """Every ``_name`` Whoosh defines: private methods, attributes and module globals."""
    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        with warnings.catch_warnings():  # Whoosh has old string escapes (SyntaxWarning)
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith("_"):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id.startswith("_"):
                names.add(node.id)
    return {name for name in names if not (name.startswith("__") and name.endswith("__"))}


def _uses_outside_codec(private: set[str]) -> list[str]:
    found = []
    for path in sorted([*ROOT.joinpath("indexer").rglob("*.py"), *ROOT.joinpath("search_app").rglob("*.py")]):
        if CODEC in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        whoosh_bases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {alias.name}")
                    whoosh_bases.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in private:
                owner = node.value.id if isinstance(node.value, ast.Name) else None
                if owner not in ("self", "cls") or _in_whoosh_subclass(tree, node, whoosh_bases):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    return found


def _in_whoosh_subclass(tree: ast.AST, target: ast.AST, whoosh_bases: set[str]) -> bool:
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id in whoosh_bases for base in cls.bases
        ):
            own = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
            own |= {
                t.attr
                for n in ast.walk(cls)
                if isinstance(n, ast.Assign)
                for t in n.targets
                if isinstance(t, ast.Attribute)
            }
            if any(node is target for node in ast.walk(cls)):
                return isinstance(target, ast.Attribute) and target.attr not in own
    return False


def test_codec_is_the_only_package_touching_whoosh_private_names():
    private = _whoosh_private_names()
    assert {"_field_B", "_btexts", "_postfile", "_commit_toc"} <= private  # the scan sees Whoosh's names
    assert _uses_outside_codec(private) == []


def test_codec_is_where_whoosh_private_names_are_used():
    """The scan above finds private names where they are: in the codec package."""
    private = _whoosh_private_names()
    text = "\n".join(path.read_text(encoding="utf-8") for path in CODEC.glob("*.py"))
    used = {name for name in private if re.search(rf"\.{re.escape(name)}\b", text)}
    assert {"_field_B", "_btexts", "_postfile", "_baseoffset", "_commit_toc"} <= used


def test_pyproject_pins_the_whoosh_release_the_code_was_checked_against():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"whoosh-reloaded=={codec.WHOOSH_VERSION}" in dependencies


def test_installed_whoosh_is_the_supported_release():
    assert codec.installed_whoosh_version() == codec.WHOOSH_VERSION


def test_constraints_pin_the_supported_whoosh():
    constraints = (ROOT / "constraints.txt").read_text().lower().splitlines()
    assert f"whoosh-reloaded=={codec.WHOOSH_VERSION}" in constraints


def test_reindex_refuses_another_whoosh_release_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(codec, "installed_whoosh_version", lambda: "2.8.0")
    result = CliRunner().invoke(reindex_main, ["--corpus", str(tmp_path), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "reindex: Release Search needs whoosh-reloaded==2.7.5 (it reads Whoosh's index format directly), "
        "but version 2.8.0 is installed. Install the tested versions with: pip install -c constraints.txt -e ."
    )
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize("found", [None, "2.7.4"], ids=["missing", "older"])
def test_version_check_names_the_supported_version(found):
    with pytest.raises(codec.UnsupportedWhoosh, match=r"whoosh-reloaded==2\.7\.5"):
        codec.check_whoosh_version(found or "")


def test_search_app_refuses_another_whoosh_release_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(codec, "installed_whoosh_version", lambda: None)
    result = CliRunner().invoke(serve_main, ["--index", str(tmp_path), "--port", "8999"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: Release Search needs whoosh-reloaded==2.7.5 (it reads Whoosh's index format directly), "
        "but it is not installed. Install the tested versions with: pip install -c constraints.txt -e ."
    )


def test_no_module_is_over_400_lines():
    """Small modules with one job each: a module that grows past 400 lines is split."""
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("indexer", "search_app", "importer")
        for path in ROOT.joinpath(package).rglob("*.py")
    }
    assert {path: lines for path, lines in sizes.items() if lines > 400} == {}
