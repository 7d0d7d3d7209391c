"""Load runbook YAML files into validated specs, or into one-line problems.

A problem always names the file, the line where YAML knows it, the field path
and the offending value, so ``steward validate`` never needs a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from runbooks.spec import Duty, FleetSpec, RunbookSpec
from tasks.core.errors import ConfigError, StewardError, field_problems

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_SUFFIXES = (".yaml", ".yml")
FLEET_FILE = "fleet.yaml"  # beside systems/: settings for every system at once
M = TypeVar("M", bound=BaseModel)


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


# libyaml's parser when PyYAML has it: ten times faster than the pure-Python one, which a fleet of a thousand
# runbooks notices (about a minute of parsing per load on two cores).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc, valid-type]
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


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data built from it: one parse, not two."""
    loader = _UniqueKeyLoader(text)
    try:
        tree = loader.get_single_node()
        return tree, loader.construct_document(tree) if tree is not None else None
    finally:
        loader.dispose()


def load_runbook(path: Path) -> RunbookSpec:
    """Parse and validate one runbook file, raising ``RunbookError`` with every problem."""
    spec, tree = _load_model(path, RunbookSpec, "a mapping with system, owner, source, ...")
    if problems := _missing_playbooks(spec, path, str(path), tree):
        raise RunbookError(problems)
    return spec


def load_fleet(path: Path) -> FleetSpec:
    """Parse and validate ``fleet.yaml``, raising ``RunbookError`` with every problem."""
    return _load_model(path, FleetSpec, "a mapping of fleet settings such as nightly_batch")[0]


def _load_model(path: Path, model: type[M], expected: str) -> tuple[M, yaml.Node]:
    """One YAML file validated as ``model``, with its node tree; ``RunbookError`` names file, line and field."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunbookError([SpecProblem(file=file, message=f"cannot read file: {exc}")]) from None
    try:
        tree, data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RunbookError(
            [SpecProblem(file=file, line=mark.line + 1 if mark else None, message=f"invalid YAML: {exc.problem}")]
        ) from None
    except yaml.YAMLError as exc:
        raise RunbookError([SpecProblem(file=file, message=f"invalid YAML: {exc}")]) from None
    if data is None or tree is None:
        raise RunbookError([SpecProblem(file=file, message=f"file is empty; expected {expected}")])
    if not isinstance(data, dict):
        raise RunbookError(
            [SpecProblem(file=file, line=1, message=f"top level is a {type(data).__name__}; expected {expected}")]
        )
    try:
        return model.model_validate(data), tree
    except ValidationError as exc:
        raise RunbookError(_problems_from(exc, file, tree)) from None


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
    fleet: FleetSpec = FleetSpec()

    def get(self, system: str) -> RunbookSpec:
        if system not in self.specs:
            known = ", ".join(sorted(self.specs)) or "none"
            raise ConfigError(f"no runbook for system {system!r} (known: {known})")
        return self.specs[system]

    def playbook_path(self, system: str, duty: Duty) -> str:
        target = self.get(system).playbook(duty)
        return target if "://" in target else str(runbook_root(self.files[system]) / target)

    def subset(self, systems: Iterable[str]) -> Catalog:
        """These systems' runbooks alone: what one system's duty needs, cheap to hand to a task in a batch of a
        thousand (Prefect hashes and walks a task's arguments)."""
        names = set(systems)
        return Catalog(specs={n: s for n, s in self.specs.items() if n in names},
                       files={n: f for n, f in self.files.items() if n in names}, fleet=self.fleet)


def load_catalog(path: Path | None = None, files: Iterable[Path] | None = None) -> Catalog:
    """Load every runbook under ``path``; problems are collected, never raised."""
    path = path or default_runbooks_dir()
    catalog = Catalog()
    if not path.exists():
        catalog.problems.append(SpecProblem(file=str(path), message="no such file or folder"))
        return catalog
    found = list(files) if files is not None else spec_files(path)
    if files is None and (path / "systems").is_dir() and (path / FLEET_FILE).is_file():
        try:
            catalog.fleet = load_fleet(path / FLEET_FILE)
        except RunbookError as exc:
            catalog.problems.extend(exc.problems)
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
