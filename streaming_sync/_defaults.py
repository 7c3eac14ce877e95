"""The one place where the default parts are wired: folder or GitHub source (aiohttp),
the default parser (rdflib or pyoxigraph, Logseq), the SQLite repository (stdlib
sqlite3) -- or, for a ``postgresql://`` database, the PostgreSQL repository and shared-sync
coordinator (asyncpg).

It returns the parts as a typed ``Parts`` bundle; ``StreamingSyncService.from_source``
builds the service from it (this module never imports the service)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, Unpack

import attrs

from ._config import SyncConfig, path_filter
from ._errors import ConfigError
from ._protocols import AsyncResource, Fetcher, Parser, ValidatorCache, WorkCoordinator
from .storage._names import is_postgres

if TYPE_CHECKING:
    from .storage.postgres import PostgresRepository
    from .storage.sqlite import SqliteRepository

    #: A repository the defaults open: also a checkpoint store, an HTTP validator cache
    #: and a run history (and, for SQLite, a run-lock store).
    DefaultRepository: TypeAlias = SqliteRepository | PostgresRepository

GITHUB_PREFIX = "github:"


async def open_repository(
    db: str | os.PathLike[str], *, read_only: bool = False
) -> DefaultRepository:
    """The repository ``db`` names: a ``postgresql://`` URL (``?schema=NAME`` picks the
    schema) or a SQLite file path (``read_only``: opened so that it is never written, for
    commands that only read)."""
    if is_postgres(db):
        try:
            from .storage.postgres import PostgresRepository
        except ImportError as missing:
            raise ConfigError(f"--db: {missing}") from None
        return await PostgresRepository.open(str(db))
    from .storage.sqlite import SqliteRepository

    return await SqliteRepository.open(db, read_only=read_only)


def make_coordinator(
    db: str | os.PathLike[str],
    repository: DefaultRepository,
    *,
    join: bool,
    lease: float | None,
) -> WorkCoordinator | None:
    """The shared-sync coordinator for a PostgreSQL ``db`` (None for SQLite; ``join``
    there is a ConfigError)."""
    # decided by the URL, as open_repository does: importing the PostgreSQL backend to
    # ask isinstance would need asyncpg, which a SQLite user need not install
    if not is_postgres(db):
        if join:
            raise ConfigError("--join: a shared sync needs a postgresql:// database (--db)")
        return None
    from .storage.postgres import DEFAULT_LEASE, PostgresCoordinator, PostgresRepository

    if not isinstance(repository, PostgresRepository):
        raise TypeError(f"a postgresql:// database opened as {type(repository).__name__}")

    return PostgresCoordinator(repository, lease=lease or DEFAULT_LEASE, join=join)


def make_fetcher(
    source: str,
    *,
    config: SyncConfig,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    api_url: str | None = None,
    token_env: str = "GITHUB_TOKEN",
    cache: ValidatorCache | None = None,
    github_options: dict[str, Any] | None = None,
) -> Fetcher:
    """A fetcher for ``source``: ``github:OWNER/REPO[@REF][/PATH]`` or a folder path.
    ``github_options`` are passed to ``GitHubFetcher`` as they are (``Any``: they are its
    keyword arguments, checked there)."""
    filt = path_filter(include, exclude)
    if source.startswith(GITHUB_PREFIX):
        from .sources.github import GitHubFetcher, token_from_env

        return GitHubFetcher.from_spec(
            source,
            api_url=api_url or "https://api.github.com",
            token=token_from_env(token_env),
            token_env=token_env,
            path_filter=filt,
            cache=cache,
            max_file_size=config.max_file_size,
            **(github_options or {}),
        )
    from .sources.folder import FolderFetcher

    check_source(source)
    return FolderFetcher(source, path_filter=filt, max_file_size=config.max_file_size)


def check_source(source: str) -> None:
    """``ConfigError`` saying what is wrong with ``source`` -- a GitHub spec that does not
    parse, a path that is a file or does not exist -- before anything is opened for it
    (so a typo leaves no database behind)."""
    if source.startswith(GITHUB_PREFIX):
        from .sources._github_spec import parse_github_spec

        parse_github_spec(source)
        return
    if os.path.isdir(source):
        return
    if os.path.exists(source):
        folder, name = os.path.split(os.path.abspath(source))
        raise ConfigError(
            f"SOURCE {source!r} is a file; a sync reads a folder of files: give the folder"
            f" that holds it ({folder}), with --include {shlex.quote(name)} to sync this"
            " file alone"
        )
    raise ConfigError(f"SOURCE {source!r}: no such folder; give a folder path or github:OWNER/REPO")


def make_parser(config: SyncConfig, rdf: str = "auto") -> Parser:
    """The default parser (``rdf`` picks the RDF parser: auto, rdflib or oxigraph);
    ``config.strict`` makes a Logseq page with a bad axiom fence fail."""
    from .parsers import DefaultParser

    return DefaultParser(rdf=rdf, strict=config.strict)


@attrs.frozen
class Parts:
    """The default parts of one service. ``repository`` is also its checkpoint store;
    ``owned`` are what the service closes (the repository and the fetcher)."""

    fetcher: Fetcher
    repository: DefaultRepository
    parser: Parser
    coordinator: WorkCoordinator | None
    owned: tuple[AsyncResource, ...]


class SourceOptions(TypedDict, total=False):
    """The options of the default parts (``StreamingSyncService.from_source``):
    ``include``/``exclude`` globs of the source; ``parser``, the RDF parser (auto,
    rdflib or oxigraph); for GitHub ``api_url``, ``token_env`` (the variable holding the
    token) and ``github_options`` (keyword arguments of ``GitHubFetcher``, ``Any``:
    checked there); ``join``/``lease``, a shared sync of a PostgreSQL database."""

    include: Sequence[str] | None
    exclude: Sequence[str] | None
    parser: str
    api_url: str | None
    token_env: str
    github_options: dict[str, Any] | None
    join: bool
    lease: float | None


async def open_parts(
    source: str,
    *,
    db: str | os.PathLike[str],
    config: SyncConfig,
    **options: Unpack[SourceOptions],
) -> Parts:
    """Open the default parts for ``source`` and ``db``; the caller owns what
    ``Parts.owned`` lists (see ``SourceOptions`` for the options)."""
    check_source(source)
    parser_obj = make_parser(config, options.get("parser", "auto"))
    repository = await open_repository(db)
    try:
        coordinator = make_coordinator(
            db, repository, join=options.get("join", False), lease=options.get("lease")
        )
        fetcher = make_fetcher(
            source,
            config=config,
            include=options.get("include"),
            exclude=options.get("exclude"),
            api_url=options.get("api_url"),
            token_env=options.get("token_env", "GITHUB_TOKEN"),
            cache=repository,
            github_options=options.get("github_options"),
        )
    except BaseException:
        await repository.aclose()
        raise
    return Parts(fetcher, repository, parser_obj, coordinator, (repository, fetcher))


__all__ = [
    "Parts",
    "SourceOptions",
    "check_source",
    "make_coordinator",
    "make_fetcher",
    "make_parser",
    "open_parts",
    "open_repository",
]
