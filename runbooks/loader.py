"""Load runbook YAML files into validated specs, or into one-line problems.

A problem always names the file, the line where YAML knows it, the field path
and the offending value, so ``steward validate`` never needs a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from runbooks.spec import Duty, RunbookSpec
from tasks.core.errors import ConfigError, StewardError, field_problems

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_SUFFIXES = (".yaml", ".yml")


class SpecProblem(BaseModel):
    file: str
    line: int | None = None
    field: str = ""
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        value = f" (got {self.value})" if self.value is not None else ""
        return f"{where}:{field} {self.message}{value}"


class RunbookError(StewardError):
    """Raised when a runbook cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a runbook must not hide a duplicate."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node that ``loc`` reaches (a key's own line)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                break
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _problems_from(exc: ValidationError, file: str, tree: yaml.Node | None) -> list[SpecProblem]:
    return [SpecProblem(file=file, line=_line_of(tree, p.loc), field=p.field, message=p.message, value=p.value)
            for p in field_problems(exc)]


def runbook_root(spec_file: Path) -> Path:
    """The runbooks folder a spec belongs to: playbook paths are relative to it."""
    parent = spec_file.resolve().parent
    return parent.parent if parent.name == "systems" else parent


def _missing_playbooks(spec: RunbookSpec, spec_file: Path, file: str, tree: yaml.Node) -> list[SpecProblem]:
    root = runbook_root(spec_file)
    problems = []
    for duty in spec.duties():
        target = spec.playbook(duty)
        if "://" not in target and not (root / target).is_file():
            problems.append(
                SpecProblem(
                    file=file,
                    line=_line_of(tree, (duty.value, "playbook")),
                    field=f"{duty.value}.playbook",
                    message=f"playbook not found under {root}",
                    value=repr(target),
                )
            )
    return problems


def load_runbook(path: Path) -> RunbookSpec:
    """Parse and validate one runbook file, raising ``RunbookError`` with every problem."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunbookError([SpecProblem(file=file, message=f"cannot read file: {exc}")]) from None
    try:
        tree = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RunbookError(
            [SpecProblem(file=file, line=mark.line + 1 if mark else None, message=f"invalid YAML: {exc.problem}")]
        ) from None
    except yaml.YAMLError as exc:
        raise RunbookError([SpecProblem(file=file, message=f"invalid YAML: {exc}")]) from None
    if data is None:
        raise RunbookError([SpecProblem(file=file, message="file is empty; expected a runbook mapping")])
    if not isinstance(data, dict):
        raise RunbookError(
            [
                SpecProblem(
                    file=file,
                    line=1,
                    message=f"top level is a {type(data).__name__}; expected a mapping with system, owner, source, ...",
                )
            ]
        )
    try:
        spec = RunbookSpec.model_validate(data)
    except ValidationError as exc:
        raise RunbookError(_problems_from(exc, file, tree)) from None
    if problems := _missing_playbooks(spec, path, file, tree):
        raise RunbookError(problems)
    return spec


def default_runbooks_dir() -> Path:
    """``$STEWARD_RUNBOOKS``, else ``./runbooks``, else the runbooks shipped with Steward."""
    if env := os.environ.get("STEWARD_RUNBOOKS"):
        return Path(env)
    local = Path("runbooks")
    return local if (local / "systems").is_dir() else PACKAGE_DIR


def spec_files(path: Path) -> list[Path]:
    """The runbook files at ``path``: the file itself, or every YAML under ``systems/``."""
    if path.is_file():
        return [path]
    folder = path / "systems" if (path / "systems").is_dir() else path
    return sorted(p for p in folder.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())


class Catalog(BaseModel):
    """Every runbook found under a folder, and the files each came from."""

    specs: dict[str, RunbookSpec] = {}
    files: dict[str, Path] = {}
    problems: list[SpecProblem] = []

    def get(self, system: str) -> RunbookSpec:
        if system not in self.specs:
            known = ", ".join(sorted(self.specs)) or "none"
            raise ConfigError(f"no runbook for system {system!r} (known: {known})")
        return self.specs[system]

    def playbook_path(self, system: str, duty: Duty) -> str:
        target = self.get(system).playbook(duty)
        return target if "://" in target else str(runbook_root(self.files[system]) / target)


def load_catalog(path: Path | None = None, files: Iterable[Path] | None = None) -> Catalog:
    """Load every runbook under ``path``; problems are collected, never raised."""
    path = path or default_runbooks_dir()
    catalog = Catalog()
    if not path.exists():
        catalog.problems.append(SpecProblem(file=str(path), message="no such file or folder"))
        return catalog
    found = list(files) if files is not None else spec_files(path)
    if not found:
        catalog.problems.append(SpecProblem(file=str(path), message="no runbook files (*.yaml) found"))
    for file in found:
        try:
            spec = load_runbook(file)
        except RunbookError as exc:
            catalog.problems.extend(exc.problems)
            continue
        if spec.system in catalog.specs:
            catalog.problems.append(
                SpecProblem(
                    file=str(file),
                    line=1,
                    field="system",
                    message=f"duplicate system id, also defined in {catalog.files[spec.system]}",
                    value=repr(spec.system),
                )
            )
            continue
        catalog.specs[spec.system] = spec
        catalog.files[spec.system] = file
    return catalog
