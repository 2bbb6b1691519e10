"""The shape of the code: layers, function length and the size limits' allowances.

The layers are import-linter contracts in pyproject.toml (`[tool.importlinter]`); the
size limits are ruff's (`C901`, `PLR0912`, `PLR0913`, `PLR0915`). Each keeps a list of
today's exceptions that only shrinks: an entry that no longer matches anything fails
here, so a fix deletes its entry, and a new exception fails the check itself.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "acsa"
BIN = Path(sys.executable).parent

MAX_FUNCTION_LINES = 70
EXEMPT = ("acsa/store/migrations/",)

# Functions longer than MAX_FUNCTION_LINES today, by file and qualified name. This list
# only shrinks: shorten a function and delete its entry; a new long function fails.
LONG_FUNCTIONS: set[str] = set()

SIZE_RULES = ("C901", "PLR0912", "PLR0913", "PLR0915")


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_imports_only_itself_and_the_standard_library() -> None:
    graph = grimp.build_graph("acsa", include_external_packages=True, cache_dir=None)
    stray = []
    for module in sorted(graph.find_descendants("acsa.domain") | {"acsa.domain"}):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported == "acsa.domain" or imported.startswith("acsa.domain."):
                continue
            if imported.split(".")[0] in sys.stdlib_module_names:
                continue
            lines = [
                d["line_number"]
                for d in graph.get_import_details(importer=module, imported=imported)
            ]
            stray.append(f"{module} -> {imported} (l.{', '.join(map(str, lines))})")
    assert not stray, "acsa.domain imports more than itself and the standard library:\n" + (
        "\n".join(stray)
    )


def _function_lengths() -> dict[str, int]:
    """Every function and method in src/acsa (nested ones too) and its length in lines,
    from its `def` line to its last line."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, path: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{path}::{prefix}{child.name}"
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                lengths[name] = max(length, lengths.get(name, 0))
                visit(child, path, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, path, f"{prefix}{child.name}.")
            else:
                visit(child, path, prefix)

    for file in sorted(PACKAGE.rglob("*.py")):
        path = file.relative_to(PACKAGE.parent).as_posix()
        if path.startswith(EXEMPT):
            continue
        visit(ast.parse(file.read_text(encoding="utf-8"), filename=str(file)), path, "")
    return lengths


def test_no_new_function_over_the_line_limit() -> None:
    lengths = _function_lengths()
    long = {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES}
    new = sorted(f"{name} ({long[name]} lines)" for name in long.keys() - LONG_FUNCTIONS)
    assert not new, f"functions over {MAX_FUNCTION_LINES} lines (migrations exempt):\n" + (
        "\n".join(new)
    )


def test_long_function_allowances_only_shrink() -> None:
    lengths = _function_lengths()
    stale = sorted(
        f"{name} ({lengths[name]} lines)" if name in lengths else f"{name} (gone)"
        for name in LONG_FUNCTIONS
        if lengths.get(name, 0) <= MAX_FUNCTION_LINES
    )
    assert not stale, "delete these entries from LONG_FUNCTIONS:\n" + "\n".join(stale)


def test_size_limit_allowances_only_shrink() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ignores: dict[str, list[str]] = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    allowed = {
        (path, code)
        for path, codes in ignores.items()
        if "*" not in path
        for code in codes
        if code in SIZE_RULES
    }
    result = subprocess.run(
        [
            str(BIN / "ruff"),
            "check",
            "src",
            "tests",
            "bench",
            "--select",
            ",".join(SIZE_RULES),
            "--config",
            "lint.per-file-ignores = {}",
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = {
        (Path(d["filename"]).resolve().relative_to(ROOT).as_posix(), d["code"])
        for d in json.loads(result.stdout)
    }
    stale = sorted(f"{path}: {code}" for path, code in allowed - found)
    assert not stale, (
        "delete these from [tool.ruff.lint.per-file-ignores] in pyproject.toml:\n"
        + "\n".join(stale)
    )
