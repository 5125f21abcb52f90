"""Sources: the feeds declared in ``ea.yaml`` that ``ea sync`` runs, and ad-hoc imports.

A source names an importer (``cmdb``, ``flows``, ``eol``, ``archimate`` or ``incidents``), its
files, its mapping and its sync policy::

    sources:
      cmdb:
        importer: cmdb
        preset: servicenow          # or mapping: mappings/cmdb.yaml
        files: [exports/cmdb_ci.csv, exports/cmdb_rel_ci.csv]
        on_missing: retire          # retire | delete | keep
        max_missing: 20%
        on_duplicate: merge         # cmdb: rows sharing a key but differing (default: the mapping's)
      incidents:
        importer: incidents
        preset: servicenow          # or generic, or mapping: mappings/incidents.yaml
        files: [exports/incident.csv]
        unknown_ci: error           # error (default) | skip: incidents on CIs the repository lacks
        timezone: Europe/Paris      # of the export's times written without a zone (default: the
                                    # mapping's; the presets': UTC)
        # an incident that is over and leaves the export (a window of time) is kept
        # whatever on_missing says; one still open that leaves it follows on_missing

``ea sync`` runs every source under one lock, so that two scheduled syncs
never overlap; each source is applied atomically, one after the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .config import Workspace
from .errors import EaError, SourceError, StoreError, WorkspaceError
from .importers.base import ImportBatch
from .importers.tabular import SHORT_ROWS
from .metamodel import Metamodel
from .model import utc_now
from .repository import MANUAL_SOURCE
from .results import Table
from .runtime import checkpoint, gc_paused
from .sync import (
    DEFAULT_MAX_MISSING,
    OnMissing,
    Progress,
    RunRefused,
    SyncEngine,
    SyncResult,
    metamodel_fingerprint,
)
from .yamlio import node_line, suggest

IMPORTERS = ("cmdb", "flows", "eol", "archimate", "incidents")
_MAPPED = ("cmdb", "incidents")  # importers that read through a preset or a mapping
_READ_OPTIONS = (
    "sheet",
    "encoding",
    "delimiter",
    "short_rows",
    "on_duplicate",
    "unknown_ci",
    "timezone",
)  # how tabular files are read
_KEYS = {
    "importer",
    "files",
    "file",
    "preset",
    "mapping",
    "on_missing",
    "max_missing",
    "sheet",
    "encoding",
    "delimiter",
    "short_rows",
    "on_duplicate",
    "unknown_ci",
    "timezone",
    "columns",
    "aliases",
}


class SyncLockedError(EaError):
    """Another ``ea sync`` holds the workspace's lock."""

    exit_code = 4


@dataclass(frozen=True)
class SourceSpec:
    """One source: which importer reads which files, and how missing items are treated."""

    name: str
    importer: str
    files: tuple[Path, ...]
    preset: str | None = None
    mapping: Path | None = None
    on_missing: OnMissing = OnMissing.RETIRE
    max_missing: float = DEFAULT_MAX_MISSING
    # sheet, encoding, delimiter; on_duplicate (cmdb)
    options: Mapping[str, str] = field(default_factory=dict)
    # flows: the catalog's own column names; eol: the workspace's product-name aliases
    columns: Mapping[str, str] = field(default_factory=dict)
    aliases: Path | None = None


def parse_ratio(value: Any, what: str = "max_missing") -> float:
    """``20%``, ``0.2`` or ``20`` as a fraction between 0 and 1.

    A bare number above 1 is a percent (``20`` is 20%); with ``%`` the number is
    always one (``150%`` is refused, not read as 1.5%).

    >>> parse_ratio("20%"), parse_ratio(0.2), parse_ratio(20)
    (0.2, 0.2, 0.2)
    """
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text[:-1] if percent else text)
    except ValueError:
        raise WorkspaceError(
            f"{what} {value!r} is not a ratio", hint="write it as 20% or 0.2"
        ) from None
    if percent or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise WorkspaceError(f"{what} {value!r} is out of range", hint="between 0% and 100%")
    return number


class _SettingError(WorkspaceError):
    """A mistake in one setting of a source; ``key`` names it, so that its line is cited."""

    def __init__(self, key: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.key = key


def source_specs(workspace: Workspace) -> list[SourceSpec]:
    """The sources declared in ``ea.yaml``, checked; mistakes name the file and line."""
    specs = []
    raw_sources = workspace.sources
    for name, raw in raw_sources.items():
        where = f"{workspace.config_path}:{node_line(raw_sources, name)}"
        if not isinstance(raw, dict):
            raise WorkspaceError(
                f"{where}: source {name!r} must be a mapping",
                hint="give at least `importer:` and `files:`",
            )
        for key in raw:
            if key not in _KEYS:
                line = node_line(raw, key)
                raise WorkspaceError(
                    f"{workspace.config_path}:{line}: unknown setting {key!r} in source {name!r}",
                    hint=suggest(key, _KEYS) or f"settings: {', '.join(sorted(_KEYS))}",
                )
        try:
            specs.append(_spec(name, raw, workspace.root))
        except WorkspaceError as exc:
            if isinstance(exc, _SettingError):
                where = f"{workspace.config_path}:{node_line(raw, exc.key)}"
            raise WorkspaceError(f"{where}: source {name!r}: {exc.message}", hint=exc.hint) from exc
    return specs


def _spec(name: str, raw: Mapping[str, Any], root: Path) -> SourceSpec:
    if name == MANUAL_SOURCE:
        # Each scheduled full run of it would retire the hand-made edits it does not list.
        raise WorkspaceError(
            f"the source name {MANUAL_SOURCE!r} is reserved for `ea add` and `ea link`",
            hint="give the source another name",
        )
    importer = str(raw.get("importer") or "")
    columns = raw.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise _SettingError(
            "columns",
            "columns must be a mapping: each flow field and the catalog's column holding it",
            hint="e.g. `columns: {source: Emitter, target: Receiver}`",
        )
    files = raw.get("files", raw.get("file"))
    if isinstance(files, str):
        files = [files]
    if importer == "eol" and not files:
        files = []  # the shipped lifecycle snapshot alone
    elif not files or not isinstance(files, list):
        raise WorkspaceError("no files", hint="list the export files under `files:`")
    return make_spec(
        name,
        importer,
        [root / str(f) for f in files],
        preset=raw.get("preset"),
        mapping=root / str(raw["mapping"]) if raw.get("mapping") else None,
        on_missing=raw.get("on_missing", "retire"),
        max_missing=raw.get("max_missing", DEFAULT_MAX_MISSING),
        options={k: str(raw[k]) for k in _READ_OPTIONS if raw.get(k)},
        columns=columns,
        aliases=root / str(raw["aliases"]) if raw.get("aliases") else None,
    )


def make_spec(
    name: str,
    importer: str,
    files: Sequence[str | Path],
    *,
    preset: str | None = None,
    mapping: str | Path | None = None,
    on_missing: str = "retire",
    max_missing: Any = DEFAULT_MAX_MISSING,
    options: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    aliases: str | Path | None = None,
) -> SourceSpec:
    """A checked :class:`SourceSpec` (used for ``ea.yaml`` sources and ad-hoc imports)."""
    if importer not in IMPORTERS:
        raise WorkspaceError(
            f"unknown importer {importer!r}" if importer else "no importer",
            hint=f"importers: {', '.join(IMPORTERS)}",
        )
    if importer in _MAPPED and not (preset or mapping):
        raise WorkspaceError(
            f"the {importer} importer needs a preset or a mapping",
            hint="e.g. `preset: servicenow` (`--preset servicenow` on `ea import`)",
        )
    if preset and mapping:
        raise WorkspaceError("give a preset or a mapping, not both")
    if importer == "cmdb" and len(files) > 2:
        raise WorkspaceError(
            "a cmdb source reads a CI export and a relationship export",
            hint="list at most two files: the CI export first",
        )
    short_rows = (options or {}).get("short_rows")
    if short_rows is not None and short_rows not in SHORT_ROWS:
        raise _SettingError(
            "short_rows",
            f"short_rows {short_rows!r} is not one of {', '.join(SHORT_ROWS)}",
            hint="pad: the export leaves trailing empty cells out; error (the default): "
            "a row shorter than the header is a problem",
        )
    if options and "on_duplicate" in options:
        from .importers.mapping import check_on_duplicate

        if importer != "cmdb":
            raise _SettingError("on_duplicate", "on_duplicate applies to cmdb sources only")
        try:
            check_on_duplicate(options["on_duplicate"])
        except SourceError as exc:
            raise _SettingError("on_duplicate", exc.message, hint=exc.hint) from None
    from .importers.incidents import check_unknown_ci
    from .importers.mapping import time_zone

    for key, check in (("unknown_ci", check_unknown_ci), ("timezone", time_zone)):
        if options and key in options:
            if importer != "incidents":
                raise _SettingError(key, f"{key} applies to incidents sources only")
            try:
                check(options[key])
            except SourceError as exc:
                raise _SettingError(key, exc.message, hint=exc.hint) from None
    try:
        policy = OnMissing(on_missing)
    except ValueError:
        raise WorkspaceError(
            f"on_missing {on_missing!r} is not one of retire, delete, keep"
        ) from None
    return SourceSpec(
        name=name,
        importer=importer,
        files=tuple(Path(f) for f in files),
        preset=preset,
        mapping=Path(mapping) if mapping else None,
        on_missing=policy,
        max_missing=parse_ratio(max_missing),
        options=dict(options or {}),
        columns=dict(columns or {}),
        aliases=Path(aliases) if aliases else None,
    )


def read_source(spec: SourceSpec, metamodel: Metamodel, store: Any = None) -> ImportBatch:
    """Run the source's importer over its files; row problems stay in the batch.

    The ``eol`` importer matches the software the repository already holds
    (read through ``store``, never written) to lifecycle data; the ``incidents``
    importer finds the configuration items there.
    """
    for path in spec.files:
        if not path.is_file():
            what = "a folder, not a file" if path.is_dir() else "file not found"
            raise SourceError(f"{path}: {what}", hint=f"check the files of source {spec.name!r}")
    options: dict[str, Any] = dict(spec.options)
    if spec.importer in _MAPPED:
        from .importers.mapping import load_mapping
        from .importers.presets import load_preset

        if spec.preset:
            mapping = load_preset(spec.preset, metamodel, spec.importer)
        else:
            assert spec.mapping is not None  # make_spec requires one of the two
            mapping = load_mapping(spec.mapping, metamodel)
    if spec.importer == "incidents":
        from .importers.incidents import IncidentsImporter

        unknown_ci = options.pop("unknown_ci", "error")
        timezone = options.pop("timezone", None)
        return IncidentsImporter(mapping, metamodel, unknown_ci=unknown_ci, timezone=timezone).read(
            *spec.files, store=store, **options
        )
    if spec.importer == "cmdb":
        from .importers.cmdb import CmdbImporter

        on_duplicate = options.pop("on_duplicate", None)
        return CmdbImporter(mapping, metamodel, on_duplicate=on_duplicate).read(
            *spec.files, **options
        )
    if spec.importer == "eol":
        from .importers.eol import EolImporter, software_facts
        from .lifecycle.catalog import load_builtin_catalog, load_catalog
        from .lifecycle.matching import load_aliases

        catalog = load_builtin_catalog().merged(*(load_catalog(f) for f in spec.files))
        facts = software_facts(store.iter_elements(), metamodel)
        return EolImporter(catalog, metamodel, load_aliases(spec.aliases)).read(facts)
    if spec.importer == "archimate":
        from .importers.archimate import ArchimateBatch, ArchimateImporter, load_archimate_mapping

        importer = ArchimateImporter(metamodel, load_archimate_mapping(spec.mapping, metamodel))
        batch = ArchimateBatch()
        for path in spec.files:
            batch.extend(importer.read(path))
        return batch
    from .importers.flows import FlowColumns, FlowsImporter

    columns = (
        FlowColumns.from_mapping(spec.columns, f"source {spec.name!r}: columns")
        if spec.columns
        else None
    )
    return FlowsImporter(metamodel, columns).read(*spec.files, **options)


def input_digest(spec: SourceSpec, metamodel: Metamodel) -> str:
    """A digest of everything a run of ``spec`` is made from: its files' bytes, its
    mapping and alias files, its options, the metamodel and this version of ea-repo
    (whose importers and presets are part of the input)."""
    from . import __version__

    digest = hashlib.blake2b(digest_size=16)
    settings = (
        __version__,
        spec.importer,
        spec.preset,
        sorted(spec.options.items()),
        sorted(spec.columns.items()),
        metamodel_fingerprint(metamodel),
    )
    digest.update(repr(settings).encode())
    for path in (*spec.files, spec.mapping, spec.aliases):
        digest.update(b"\0" + repr(str(path)).encode() + b"\0")
        if path is not None and path.is_file():
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()


def run_source(
    spec: SourceSpec,
    store: Any,
    metamodel: Metamodel,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Read one source and apply it through the sync engine.

    When the input is byte for byte the one of the source's last run and the
    repository has not changed since, the files are not read again: the run
    confirms what the source asserts (see :meth:`SyncEngine.confirm_unchanged`).
    """
    engine = SyncEngine(store, metamodel)
    started = utc_now()
    digest = input_digest(spec, metamodel)
    # The eol importer's records are made from the software the repository holds too,
    # the incidents importer's from the CIs it holds.
    confirmed = engine.confirm_unchanged(
        spec.name, digest, dry_run=dry_run, reads_repository=spec.importer in ("eol", "incidents")
    )
    if confirmed is not None:
        return confirmed
    # One pause of the collector for the whole run: re-enabled between reading and
    # applying, it would scan every record read, in vain (measured: a second of 400 000).
    with gc_paused():
        try:
            batch = read_source(spec, metamodel, store)
        except EaError as exc:  # an unreadable file is a failed run too
            if not dry_run:
                engine.record_failure(spec.name, started, exc)
            raise
        checkpoint("sync.read")
        try:
            return engine.run(
                spec.name,
                batch,
                on_missing=spec.on_missing,
                max_missing=spec.max_missing,
                dry_run=dry_run,
                force=force,
                progress=progress,
                input_digest=digest,
                consume=True,
            )
        except EaError as exc:
            exc.notes = [str(w) for w in batch.warnings]  # what was skipped explains a refusal too
            raise


@dataclass
class SourceOutcome:
    """How one source fared in ``ea sync``."""

    name: str
    result: SyncResult | None = None
    error: EaError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary for schedulers: counts, or the error with every problem; the
        run's notes (rows skipped and why...) either way."""
        if self.result is not None:
            return {"status": "ok", **self.result.summary(), "notes": list(self.result.warnings)}
        assert self.error is not None
        return {
            "source": self.name,
            "status": "refused" if isinstance(self.error, RunRefused) else "failed",
            "error": self.error.message,
            "hint": self.error.hint,
            "problems": [p.to_data() for p in self.error.problems],
            "problem_count": len(self.error.problems),
            "notes": list(self.error.notes),
        }


DETAIL_LIMIT = 20
"""The changes of each kind (added, changed...) a run's table lists; its JSON lists them all."""


@dataclass(frozen=True)
class RunReport:
    """What one run of a source did, or would do in a dry run (``ea import``, ``ea sync``):
    the counts, the first changes of each kind, and the notes."""

    result: SyncResult
    dry_run: bool = False

    def to_tables(self) -> list[Table]:
        """The counts by kind, and the first :data:`DETAIL_LIMIT` changes of each kind."""
        r = self.result
        counts = Table(
            f"{r.source}: "
            + ("dry run, nothing written" if self.dry_run else f"run {r.run_id} applied"),
            ["kind", "added", "changed", "revived", "unchanged", "missing"],
            [
                ["elements", *r.elements.counts().values()],
                ["relations", *r.relations.counts().values()],
            ],
        )
        details: list[list[Any]] = []
        for kind, diff in (("element", r.elements), ("relation", r.relations)):
            details += [[kind, i, "added", ""] for i in diff.added[:DETAIL_LIMIT]]
            details += [
                [kind, i, "changed", "; ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in f.items())]
                for i, f in list(diff.changed.items())[:DETAIL_LIMIT]
            ]
            details += [[kind, i, "revived", ""] for i in diff.revived[:DETAIL_LIMIT]]
            details += [
                [kind, i, "missing", fate] for i, fate in list(diff.missing.items())[:DETAIL_LIMIT]
            ]
        verb = "would be" if self.dry_run else "were"
        return [
            counts,
            Table(
                f"changes that {verb} made (first {DETAIL_LIMIT} of each kind)",
                ["kind", "id", "change", "detail"],
                details,
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        """The summary a scheduler reads (:meth:`SourceOutcome.summary`) and every change."""
        r = self.result
        return {
            **SourceOutcome(r.source, result=r).summary(),
            "dry_run": self.dry_run,
            "details": {
                kind: {
                    "added": diff.added,
                    "changed": {
                        i: {k: list(v) for k, v in f.items()} for i, f in diff.changed.items()
                    },
                    "revived": diff.revived,
                    "missing": diff.missing,
                }
                for kind, diff in (("elements", r.elements), ("relations", r.relations))
            },
        }

    def notes(self) -> list[str]:
        """The guard's refusal, if any, and the run's own notes."""
        r = self.result
        found = [f"guard: {r.refused}; the real run needs --force"] if r.refused else []
        return found + [f"note: {w}" for w in r.notes()]


MANUAL_EDIT_WAIT = 10.0
"""Seconds a manual edit (``ea add``, ``ea link``) waits for a running write to end."""

_held: dict[str, int] = {}  # lock files this process holds, and how many times over


@contextmanager
def sync_lock(workspace: Workspace, store: Any = None, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock that keeps two writes of one workspace from overlapping, and the
    store's own lock if it has one (a Neo4j repository tag that several workspaces, on
    several machines, may write: see ``Neo4jStore.exclusive``).

    Every write takes it: syncs, imports, copies and manual edits. Raises
    :class:`SyncLockedError` if another process still holds it after ``wait``
    seconds (a scheduler's sync does not wait: it should retry later rather
    than queue behind a long run). Re-entrant within a process.
    """
    workspace.data_dir.mkdir(parents=True, exist_ok=True)
    path = workspace.data_dir / "sync.lock"
    key = str(path)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise WorkspaceError(
            f"the lock file {path} is not a plain file",
            hint="remove it (`rm -r` it if it is a folder); ea-repo creates it again",
        )
    lock = FileLock(key)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise SyncLockedError(
            f"another sync or edit of {workspace.root} is running (lock {lock.lock_file})"
            + (f"; waited {wait:g} s" if wait else ""),
            hint="wait for it to finish; schedulers should retry later",
        ) from None
    except OSError as exc:
        raise WorkspaceError(
            f"cannot take the lock file {path}: {exc.strerror or exc}",
            hint="check that .ea/ is writable and sync.lock a plain file",
        ) from exc
    _held[key] = 1
    try:
        with getattr(store, "exclusive", nullcontext)():
            yield
    finally:
        del _held[key]
        lock.release()


def sync_all(
    workspace: Workspace,
    store: Any,
    metamodel: Metamodel,
    *,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[SourceOutcome]:
    """Run every declared source (or those in ``only``) in order, under the workspace lock.

    A failing source does not stop the others; each is atomic. Raises
    :class:`SyncLockedError` at once if another sync holds the lock.
    """
    specs = source_specs(workspace)
    if not specs:
        raise WorkspaceError(
            f"no sources in {workspace.config_path}",
            hint="declare them under `sources:` (see the README), or use `ea import`",
        )
    if only:
        names = {s.name for s in specs}
        for wanted in only:
            if wanted not in names:
                raise WorkspaceError(
                    f"no source {wanted!r} in {workspace.config_path}",
                    hint=suggest(wanted, names) or f"sources: {', '.join(sorted(names))}",
                )
        specs = [s for s in specs if s.name in only]
    with sync_lock(workspace, store):
        outcomes: list[SourceOutcome] = []
        lost: StoreError | None = None
        for spec in specs:
            if (
                lost is not None
            ):  # the store is lost or locked: the others are not tried, each waiting
                outcomes.append(SourceOutcome(spec.name, error=lost))
                continue
            try:
                result = run_source(
                    spec, store, metamodel, dry_run=dry_run, force=force, progress=progress
                )
                outcomes.append(SourceOutcome(spec.name, result=result))
            except StoreError as exc:
                lost = exc
                outcomes.append(SourceOutcome(spec.name, error=exc))
            except EaError as exc:
                outcomes.append(SourceOutcome(spec.name, error=exc))
        keep_quality(workspace, store, metamodel, [o.result for o in outcomes])
        return outcomes


def keep_quality(
    workspace: Workspace, store: Any, metamodel: Metamodel, results: Sequence[SyncResult | None]
) -> None:
    """Measure the repository's quality once after the runs of ``results`` and keep the
    figures in the stats of the last one written (``ea quality`` shows their trend);
    nothing when none was written (a dry run, every source failed).

    The runs are finished by then: when the store fails now (locked, full), they stand as
    recorded and only the figures are lost, which the last run's notes say."""
    from .quality import keep

    written = [r for r in results if r is not None and r.applied and r.run_id is not None]
    if not written:
        return
    last = written[-1]
    assert last.run_id is not None
    try:
        keep(store, metamodel, last.run_id, stale_after_days=workspace.stale_after_days)
    except EaError as exc:
        last.warnings.append(
            f"quality figures not kept with run {last.run_id}: {exc.message} "
            "(the run stands; `ea quality` measures afresh)"
        )
