"""The values that flow through a sync: listings, one file's ontology data, reports.

Everything here is a frozen attrs class: safe to share between tasks, picklable for
process pools, comparable in tests. What a backend stores -- ``FileEntry`` and
``OntologyData`` with its rows -- has a JSON form: ``to_dict()`` gives plain dicts,
lists, strings, numbers, booleans and None (keys named as the fields; sets as sorted
lists, enums as their values), and ``Class.from_dict(d)`` gives the equal value back,
refusing unknown keys and missing required ones with ``ValueError``.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

import attrs

from ._change_counts import ChangeSummary
from ._timestamps import epoch_of, iso_utc

#: ``owl_axioms.annotations`` of the SubClassOf axiom a page link (``is-subclass-of::``) made.
LINK_AXIOM_ANNOTATIONS = '{"derived_from":"is-subclass-of"}'


def checked_fields(cls: type[Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` as keyword arguments of the attrs class ``cls``: ``ValueError`` naming
    the keys it does not know and the required ones it lacks (a stored form of another
    version, a typo), instead of a ``TypeError`` from deep inside ``__init__``."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{cls.__name__}.from_dict: expected a dict, got {type(raw).__name__}")
    fields = attrs.fields_dict(cls)
    unknown = sorted(set(raw) - set(fields))
    missing = sorted(n for n, f in fields.items() if f.default is attrs.NOTHING and n not in raw)
    if unknown or missing:
        raise ValueError(
            f"{cls.__name__}.from_dict: unknown keys {unknown}, missing keys {missing} "
            f"(its keys are {sorted(fields)})"
        )
    return dict(raw)


def _plain(value: Any) -> Any:
    """A field's value as JSON data: a row as its ``to_dict()``, an enum as its value, a
    set as a sorted list, a tuple as a list."""
    if isinstance(value, JsonForm):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


class JsonForm:
    """The JSON form of a frozen attrs value: :meth:`to_dict` for any of them;
    :meth:`from_dict` as is for fields that JSON holds as they are (strings, numbers,
    booleans, None), overridden where a field needs decoding (enums, tuples, rows)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: one key per field, its value as :func:`_plain` gives it."""
        # A mixin of attrs classes only; mypy cannot know that ``type(self)`` is one.
        fields = attrs.fields(type(self))  # type: ignore[arg-type]
        return {f.name: _plain(getattr(self, f.name)) for f in fields}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Self:
        """The value :meth:`to_dict` gave ``raw`` for."""
        return cls(**checked_fields(cls, raw))


def git_blob_sha1(data: bytes) -> str:
    """The git blob SHA-1 of ``data``: the value GitHub reports as a file's ``sha``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@attrs.frozen
class FileEntry(JsonForm):
    """One file of a listing: its path relative to the source root ('/'-separated),
    its size in bytes and its git blob SHA-1."""

    path: str
    size: int
    sha: str


def path_problem(path: str) -> str | None:
    """Why a listed ``path`` cannot be stored, or None: it must be valid UTF-8 text (a
    Python string may hold lone surrogates) without NUL characters."""
    if "\x00" in path:
        return "the path holds a NUL character, which no database stores; rename the file"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return (
            "the path is not valid UTF-8 text (undecodable parts shown as \\uXXXX); "
            "rename the file to a UTF-8 name to sync it"
        )
    return None


def shown(path: str) -> str:
    """``path`` as valid UTF-8 text without NUL: lone surrogates as ``\\udcXX``, NUL as
    ``\\x00`` (for messages and reports)."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


@attrs.frozen
class Listing:
    """A source's files at one revision. ``complete`` is False when the source could not
    list everything: such a listing never causes deletions, and the sync it feeds is at
    best ``partial``. ``missing`` says what it lacks, one short description per part,
    naming it (e.g. ``"folder 'big/': GitHub truncated its listing"``). ``commit`` names
    the revision; ``""`` when there is none to name (a folder with nothing listed): the
    report's ``commit`` is then None."""

    commit: str
    entries: tuple[FileEntry, ...]
    complete: bool = True
    missing: tuple[str, ...] = ()


@attrs.frozen
class OntologyClass(JsonForm):
    """A class a file declares. ``properties`` are the page's block properties, losslessly:
    (key, value) pairs in file order, repeated keys kept."""

    iri: str
    label: str | None = None
    comment: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OntologyClass:
        """The class :meth:`to_dict` gave ``raw`` for."""
        fields = checked_fields(cls, raw)
        pairs = fields.pop("properties", ())
        return cls(**fields, properties=tuple((str(k), str(v)) for k, v in pairs))


@attrs.frozen
class HierarchyEdge(JsonForm):
    """``class_iri rdfs:subClassOf parent_iri``, both named."""

    class_iri: str
    parent_iri: str


class PropertyType(enum.StrEnum):
    OBJECT = "ObjectProperty"
    DATA = "DataProperty"
    ANNOTATION = "AnnotationProperty"


def _iri_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class OntologyProperty(JsonForm):
    """A property a file declares, with the domain and range IRIs it gives."""

    iri: str
    property_type: PropertyType
    label: str | None = None
    domain: frozenset[str] = attrs.field(default=frozenset(), converter=_iri_set)
    range: frozenset[str] = attrs.field(default=frozenset(), converter=_iri_set)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OntologyProperty:
        """The property :meth:`to_dict` gave ``raw`` for."""
        fields = checked_fields(cls, raw)
        return cls(**{**fields, "property_type": PropertyType(fields["property_type"])})


class AxiomType(enum.StrEnum):
    SUBCLASS_OF = "SubClassOf"
    EQUIVALENT_CLASS = "EquivalentClass"
    DISJOINT_WITH = "DisjointWith"
    OBJECT_PROPERTY_ASSERTION = "ObjectPropertyAssertion"
    DATA_PROPERTY_ASSERTION = "DataPropertyAssertion"


@attrs.frozen
class Axiom(JsonForm):
    """One axiom row. ``subject``/``object`` are plain IRIs for named entities, canonical
    Functional Syntax (see ``streaming_sync._owl.render``) for expressions and literals.
    ``property_iri`` is the asserted property of the two assertion types, else None.
    ``annotations`` is JSON text or None."""

    axiom_type: AxiomType
    subject: str
    object: str
    property_iri: str | None = None
    annotations: str | None = None
    is_inferred: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Axiom:
        """The axiom :meth:`to_dict` gave ``raw`` for."""
        fields = checked_fields(cls, raw)
        return cls(**{**fields, "axiom_type": AxiomType(fields["axiom_type"])})


@attrs.frozen
class OtherAxiom(JsonForm):
    """An axiom of a kind the public tables have no place for, kept verbatim
    (canonical Functional Syntax) so nothing is silently dropped."""

    kind: str
    text: str


@attrs.frozen
class PageLink(JsonForm):
    """``is-subclass-of:: [[Page]]``: ``class_iri`` is a subclass of each class the page
    whose key is ``target`` offers as a link target (see ``page_key`` and
    ``OntologyData.link_targets``)."""

    class_iri: str
    target: str


def page_key(name: str) -> str:
    """Normalise a Logseq page name for link matching: ``___`` stands for ``/``,
    case-insensitive, surrounding white space ignored."""
    return name.replace("___", "/").strip().casefold()


def _declared_targets(data: OntologyData, _: object, targets: tuple[str, ...]) -> None:
    """Every link target must be a class the same data declares."""
    if targets:
        declared = {c.iri for c in data.classes}
        strays = [iri for iri in targets if iri not in declared]
        if strays:
            raise ValueError(
                f"link_targets {strays[:3]!r} are not among this file's classes: a page "
                "link can only resolve to a class the page declares; add them to classes "
                "or leave them out of link_targets"
            )


@attrs.frozen
class OntologyData(JsonForm):
    """Everything one file contributes. ``page_keys`` are the names other pages may link
    to this one by, ``link_targets`` the IRIs of the classes such a link resolves to
    (each one of ``classes``; a Logseq page offers the classes its blocks name with
    ``owl:class::``, not those its fences declare besides). ``warnings`` go into the
    report, not the database."""

    classes: tuple[OntologyClass, ...] = ()
    edges: tuple[HierarchyEdge, ...] = ()
    properties: tuple[OntologyProperty, ...] = ()
    axioms: tuple[Axiom, ...] = ()
    other_axioms: tuple[OtherAxiom, ...] = ()
    links: tuple[PageLink, ...] = ()
    page_keys: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    link_targets: tuple[str, ...] = attrs.field(default=(), validator=_declared_targets)

    @property
    def is_empty(self) -> bool:
        return not (
            self.classes
            or self.edges
            or self.properties
            or self.axioms
            or self.other_axioms
            or self.links
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OntologyData:
        """The data :meth:`to_dict` gave ``raw`` for (a key left out is empty)."""
        fields = checked_fields(cls, raw)
        return cls(
            classes=tuple(OntologyClass.from_dict(r) for r in fields.get("classes", ())),
            edges=tuple(HierarchyEdge.from_dict(r) for r in fields.get("edges", ())),
            properties=tuple(OntologyProperty.from_dict(r) for r in fields.get("properties", ())),
            axioms=tuple(Axiom.from_dict(r) for r in fields.get("axioms", ())),
            other_axioms=tuple(OtherAxiom.from_dict(r) for r in fields.get("other_axioms", ())),
            links=tuple(PageLink.from_dict(r) for r in fields.get("links", ())),
            page_keys=tuple(str(k) for k in fields.get("page_keys", ())),
            warnings=tuple(str(w) for w in fields.get("warnings", ())),
            link_targets=tuple(str(t) for t in fields.get("link_targets", ())),
        )


EMPTY = OntologyData()


@attrs.frozen
class ParseCost:
    """What parsing one file is expected to cost (``CostedParser.parse_cost``): CPU
    ``seconds``, whether the parse may run in the service's own process (``inline``:
    it is known linear and short -- a parse there cannot be stopped), and whether
    ``parse_parts`` really streams the file (``streams``: parts made as it reads, each
    of bounded size, so a parse in this process holds one part at a time and can be
    stopped between parts; a parser whose ``parse_parts`` makes one part says False)."""

    seconds: float
    inline: bool
    streams: bool = False


@attrs.frozen
class FileWrite:
    """One file's part of a group commit (``BatchWriter.write_batch``): save ``data`` as
    ``entry.path``'s rows, committed at ``entry.sha`` -- exactly what ``save_file`` does --
    or, when ``data`` is None, remove ``entry.path``'s rows and record, as
    ``remove_file(entry.path)`` does (``entry.sha`` and ``size`` are then unused)."""

    entry: FileEntry
    data: OntologyData | None

    @property
    def path(self) -> str:
        return self.entry.path


#: The compact JSON of the stored forms below. One encoder, made once: ``json.dumps``
#: with options builds a new one per call (a third of the call's time for a page's
#: properties). It holds no state between calls.
_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def properties_json(properties: tuple[tuple[str, str], ...]) -> str | None:
    """The stored form of block properties: a JSON object mapping each key, in first-seen
    order, to the list of its values in file order (None when there are none)."""
    if not properties:
        return None
    merged: dict[str, list[str]] = {}
    for key, value in properties:
        merged.setdefault(key, []).append(value)
    return _compact_json(merged)


def iri_list_json(iris: Iterable[str]) -> str:
    """The stored form of a property's domain or range: a sorted JSON array."""
    return _compact_json(sorted(set(iris)))


@attrs.frozen
class FileFailure:
    """A file that failed: what went wrong, whether trying again may help, how often we tried."""

    path: str
    error_type: str
    message: str
    retryable: bool
    attempts: int
    sha: str | None = None


@attrs.frozen
class FileSkip:
    path: str
    reason: str


@attrs.frozen
class FileCounts:
    listed: int = 0
    unchanged: int = 0
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    deleted: int = 0


@attrs.frozen
class RowCounts:
    classes: int = 0
    properties: int = 0
    axioms: int = 0


class Stage(enum.StrEnum):
    """The stages of a sync: listing the source, then per file fetching, parsing (with
    validating) and writing."""

    LISTING = "listing"
    FETCH = "fetch"
    PARSE = "parse"
    WRITE = "write"


class Wait(enum.StrEnum):
    """What a file can wait for between and before its stages: a worker to take it from
    the queue, room in the memory budget, a parse thread or process (starting one
    included), the writer (its batch to form, other batches, the database lock). The
    values are ``StageTimes``' field names (never a ``Stage``'s: they are strings)."""

    QUEUE = "queue_wait"
    BUDGET = "budget_wait"
    PARSE = "parse_wait"
    WRITE = "write_wait"


_STAGE_FIELDS: dict[Stage | Wait, str] = {
    Stage.LISTING: "listing",
    Stage.FETCH: "fetching",
    Stage.PARSE: "parsing",
    Stage.WRITE: "writing",
    **{wait: wait.value for wait in Wait},
}


@attrs.frozen
class StageTimes:
    """Seconds spent per stage: of one file (on its end event), or of a run summed over
    files (in its report). The one type of stage timing.

    ``fetching``, ``parsing`` and ``writing`` are *working* time: the file's own fetch,
    its parse where it ran (the time on the parse thread or in the parse process, and
    carrying the bytes and rows there and back), and its share of the transaction that
    wrote it (a batch's time divided among its files by rows). Summed over a run each is
    at most the wall time times what does that work at once (the parse processes and
    thread; one writer), never the workers' waits. The *waits* are apart:
    ``queue_wait`` (in the queue until a worker took it), ``budget_wait`` (for room in
    ``max_bytes_in_flight``), ``parse_wait`` (for a parse thread or process, starting
    one included) and ``write_wait`` (for the writer: the batch to form, the batches
    before it, its batch's other files). ``listing`` and ``rate_limited`` are the run's.
    """

    listing: float = 0.0
    fetching: float = 0.0
    parsing: float = 0.0
    writing: float = 0.0
    rate_limited: float = 0.0
    queue_wait: float = 0.0
    budget_wait: float = 0.0
    parse_wait: float = 0.0
    write_wait: float = 0.0

    @property
    def working(self) -> float:
        """Seconds of fetching, parsing and writing."""
        return self.fetching + self.parsing + self.writing

    @property
    def waiting(self) -> float:
        """Seconds waiting for a worker, the budget, a parse slot or the writer."""
        return self.queue_wait + self.budget_wait + self.parse_wait + self.write_wait

    def add(self, stage: Stage | Wait, seconds: float) -> StageTimes:
        """These times with ``seconds`` more spent in ``stage`` (working) or waiting."""
        field = _STAGE_FIELDS[stage]
        return attrs.evolve(self, **{field: getattr(self, field) + seconds})

    @classmethod
    def of(cls, seconds: Mapping[Stage | Wait, float]) -> StageTimes:
        """The times of ``seconds`` per stage or wait (the others 0)."""
        return cls(**{_STAGE_FIELDS[key]: value for key, value in seconds.items()})

    def __add__(self, other: StageTimes) -> StageTimes:
        return StageTimes(
            *(a + b for a, b in zip(attrs.astuple(self), attrs.astuple(other), strict=True))
        )


@attrs.frozen
class Participation:
    """A shared run this participant takes part in (``WorkCoordinator.begin``).
    ``created``: this participant made it (and so does the deletions). ``started_at``:
    when the run was created (epoch seconds)."""

    run_id: int
    created: bool
    started_at: float


@attrs.frozen
class FinishedRun:
    """A closed shared run, as ``WorkCoordinator.finalize`` returns it: when it started
    and was closed (epoch seconds), the creator's ``summary`` and every file's
    ``outcomes``, as they were given to ``begin`` and ``complete`` (events as JSON
    objects, see ``streaming_sync.observe.events.event_to_dict``), and whether this
    caller is the one that closed it.

    ``Any`` is deliberate: the values are JSON as stored, whose shape is the events'
    (``event_from_dict`` reads them back); this type only carries them."""

    started_at: float
    finished_at: float
    summary: Mapping[str, Any]
    outcomes: Sequence[Mapping[str, Any]]
    closed_here: bool


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"  # every file landed
    PARTIAL = "partial"  # some files failed, the rest landed
    ABORTED = "aborted"  # a fatal error or cancellation stopped the run
    RUNNING = "running"  # recorded at start; a run left like this was killed


@attrs.frozen
class SyncReport:
    """What one sync did. ``failures`` and ``skipped`` name paths relative to the source."""

    ontology_id: str
    source: str
    commit: str | None
    outcome: Outcome
    files: FileCounts
    rows: RowCounts
    started_at: float
    duration_s: float
    failures: tuple[FileFailure, ...] = ()
    skipped: tuple[FileSkip, ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()
    stages: StageTimes = StageTimes()
    error: str | None = None
    #: What the run changed in the public rows (zeros when the repository keeps no
    #: change feed, see ``ChangeFeed``).
    changes: ChangeSummary = attrs.field(factory=ChangeSummary)

    @property
    def files_per_second(self) -> float:
        return self.files.processed / self.duration_s if self.duration_s > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of the CLI's ``--json`` output. Timestamps are ISO 8601 in UTC
        (``started_at``, ``finished_at``); ``started_at_epoch`` keeps the exact epoch
        seconds (the run's key in the run history)."""
        return {
            "ontology_id": self.ontology_id,
            "source": self.source,
            "commit": self.commit,
            "outcome": str(self.outcome),
            "files": attrs.asdict(self.files),
            "rows": attrs.asdict(self.rows),
            "started_at": iso_utc(self.started_at),
            "started_at_epoch": self.started_at,
            "finished_at": iso_utc(self.started_at + self.duration_s),
            "duration_s": round(self.duration_s, 6),
            "files_per_second": round(self.files_per_second, 3),
            "stages": {k: round(v, 6) for k, v in attrs.asdict(self.stages).items()},
            "failures": [attrs.asdict(f) for f in self.failures],
            "skipped": [attrs.asdict(s) for s in self.skipped],
            "warnings": [{"path": p, "warning": w} for p, w in self.warnings],
            "error": self.error,
            "changes": self.changes.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> SyncReport:
        """Rebuild a report from :meth:`to_dict` output (used by ``status`` and history);
        reads reports stored before timestamps were ISO 8601 (``started_at`` a number)."""

        def as_dict(key: str) -> dict[str, object]:
            value = raw.get(key) or {}
            assert isinstance(value, dict)
            return value

        def as_list(key: str) -> list[dict[str, object]]:
            value = raw.get(key) or []
            assert isinstance(value, list)
            return value

        return cls(
            ontology_id=str(raw["ontology_id"]),
            source=str(raw["source"]),
            commit=None if raw.get("commit") is None else str(raw["commit"]),
            outcome=Outcome(str(raw["outcome"])),
            files=FileCounts(**as_dict("files")),  # type: ignore[arg-type]
            rows=RowCounts(**as_dict("rows")),  # type: ignore[arg-type]
            started_at=epoch_of(raw.get("started_at_epoch", raw["started_at"])),
            duration_s=float(raw["duration_s"]),  # type: ignore[arg-type]
            failures=tuple(FileFailure(**f) for f in as_list("failures")),  # type: ignore[arg-type]
            skipped=tuple(FileSkip(**s) for s in as_list("skipped")),  # type: ignore[arg-type]
            warnings=tuple((str(w["path"]), str(w["warning"])) for w in as_list("warnings")),
            stages=StageTimes(**as_dict("stages")),  # type: ignore[arg-type]
            error=None if raw.get("error") is None else str(raw["error"]),
            changes=ChangeSummary.from_dict(as_dict("changes")),
        )


__all__ = [
    "EMPTY",
    "LINK_AXIOM_ANNOTATIONS",
    "Axiom",
    "AxiomType",
    "FileCounts",
    "FileEntry",
    "FileFailure",
    "FileSkip",
    "FileWrite",
    "FinishedRun",
    "HierarchyEdge",
    "JsonForm",
    "Listing",
    "OntologyClass",
    "OntologyData",
    "OntologyProperty",
    "OtherAxiom",
    "Outcome",
    "PageLink",
    "ParseCost",
    "Participation",
    "PropertyType",
    "RowCounts",
    "Stage",
    "StageTimes",
    "SyncReport",
    "Wait",
    "checked_fields",
    "git_blob_sha1",
    "iri_list_json",
    "page_key",
    "path_problem",
    "properties_json",
    "shown",
]
