"""The source side of the commands that look before they sync -- ``check``,
``sync --dry-run`` and the first sync into a new database: a fetcher that writes
nothing (no HTTP cache in a database), its listing with the sync's retries, and what a
sync would do with it against the SHAs a database holds."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence

import attrs

from ._config import DEFAULT_INCLUDE, SyncConfig
from ._defaults import GITHUB_PREFIX, make_fetcher
from ._errors import ConfigError
from ._model import Listing
from ._protocols import Emit, EventSource, Fetcher
from ._retry import retrying
from ._run import diff
from .observe.tally import LISTING

DEFAULT_TOKEN_ENV = "GITHUB_TOKEN"


def is_github(args: argparse.Namespace) -> bool:
    return bool(args.source.startswith(GITHUB_PREFIX))


def check_token_env(args: argparse.Namespace) -> None:
    """A ``--token-env`` given on purpose (command line, environment or file) must name
    a variable that holds a token: else the sync would quietly go anonymous."""
    origins: Mapping[str, str] = getattr(args, "origins", {})
    if not is_github(args) or origins.get("token_env", "default") == "default":
        return
    name = args.token_env
    if not os.environ.get(name, "").strip():
        raise ConfigError(
            f"--token-env {name}: the environment variable {name} is not set (or is"
            f" empty); set it to the token, or leave --token-env out to use"
            f" ${DEFAULT_TOKEN_ENV} (or no token, for a public repository)"
        )


@contextlib.asynccontextmanager
async def source_fetcher(
    args: argparse.Namespace, config: SyncConfig, emit: Emit
) -> AsyncIterator[Fetcher]:
    """The fetcher ``args`` name, closed at the end; it keeps no HTTP cache, so it writes
    nothing anywhere, and reports rate-limit pauses through ``emit``."""
    check_token_env(args)
    fetcher = make_fetcher(
        args.source,
        config=config,
        include=args.include,
        exclude=args.exclude,
        api_url=args.api_url,
        token_env=args.token_env,
    )
    if isinstance(fetcher, EventSource):
        fetcher.bind_events(emit)
    try:
        yield fetcher
    finally:
        await fetcher.aclose()


async def list_source(fetcher: Fetcher, config: SyncConfig, emit: Emit) -> Listing:
    """The listing, retried as a sync retries it (each retry announced through ``emit``)."""
    return await retrying(config.retry, fetcher.list_files, LISTING, emit)


def nothing_listed(args: argparse.Namespace) -> str:
    """The warning for a listing the filters left empty, naming the filters."""
    include = " ".join(args.include or ()) or f"the ontology formats ({' '.join(DEFAULT_INCLUDE)})"
    exclude = f"; exclude: {' '.join(args.exclude)}" if args.exclude else ""
    return (
        f"warning: nothing to sync: no file of {args.source} matches the filters (include:"
        f" {include}{exclude}); check SOURCE, --include and --exclude"
    )


@attrs.frozen
class Preview:
    """What a sync of ``listing`` would do, from the SHAs a database holds: files to
    add (not stored yet), to change (stored with another SHA), to re-process although
    unchanged (``--full``), to delete (stored, no longer listed; none when the listing
    is incomplete), and how many it leaves as they are."""

    commit: str | None
    listed: int
    add: tuple[str, ...]
    change: tuple[str, ...]
    reprocess: tuple[str, ...]
    delete: tuple[str, ...]
    unchanged: int
    complete: bool
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"dry_run": True, **attrs.asdict(self)}


def preview(listing: Listing, committed: Mapping[str, str], *, full: bool) -> Preview:
    plan = diff(listing, committed, full=full)
    add = tuple(e.path for e in plan.todo if e.path not in committed)
    change = tuple(e.path for e in plan.todo if committed.get(e.path, e.sha) != e.sha)
    again = tuple(e.path for e in plan.todo if committed.get(e.path) == e.sha)
    return Preview(
        listing.commit or None,
        len(listing.entries),
        add,
        change,
        again,
        plan.deletions,
        plan.unchanged,
        listing.complete,
        listing.missing,
    )


def preview_lines(result: Preview, limit: int | None = None) -> Sequence[str]:
    """The text of a preview: a summary line, then one line per file (``limit`` per
    kind at most; the files re-processed by ``--full`` are only counted)."""
    again = f", re-process {len(result.reprocess)} (--full)" if result.reprocess else ""
    lines = [
        f"dry run, nothing written: {result.listed} listed (commit {result.commit or '-'}):"
        f" would add {len(result.add)}, change {len(result.change)}{again}, delete"
        f" {len(result.delete)}; {result.unchanged} unchanged"
    ]
    for kind, paths in (("add", result.add), ("change", result.change), ("delete", result.delete)):
        shown = paths if limit is None else paths[:limit]
        lines += [f"  {kind:<6} {path}" for path in shown]
        if len(shown) < len(paths):
            lines.append(f"  ... and {len(paths) - len(shown)} more to {kind} (--json lists all)")
    lines += [f"INCOMPLETE listing: {gap} (nothing would be deleted)" for gap in result.missing]
    return lines


__all__ = [
    "Preview",
    "check_token_env",
    "is_github",
    "list_source",
    "nothing_listed",
    "preview",
    "preview_lines",
    "source_fetcher",
]
