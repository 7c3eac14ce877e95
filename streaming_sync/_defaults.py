"""The one place where the default parts are wired: folder or GitHub source (aiohttp),
the default parser (rdflib or pyoxigraph, Logseq), the SQLite repository (stdlib sqlite3) --
or, for a ``postgresql://`` database, the PostgreSQL repository and shared-sync
coordinator (asyncpg)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._config import SyncConfig, path_filter
from ._errors import ConfigError
from ._protocols import Fetcher, ProgressSink
from .storage._names import is_postgres

if TYPE_CHECKING:
    from ._service import StreamingSyncService

S = TypeVar("S", bound="StreamingSyncService")

GITHUB_PREFIX = "github:"


async def open_repository(db: str | os.PathLike[str], *, read_only: bool = False) -> Any:
    """The repository (also the checkpoint store and HTTP cache) ``db`` names: a
    ``postgresql://`` URL (``?schema=NAME`` picks the schema) or a SQLite file path
    (``read_only``: opened so that it is never written, for commands that only read)."""
    if is_postgres(db):
        try:
            from .storage.postgres import PostgresRepository
        except ImportError as missing:
            raise ConfigError(f"--db: {missing}") from None
        return await PostgresRepository.open(str(db))
    from .storage.sqlite import SqliteRepository

    return await SqliteRepository.open(db, read_only=read_only)


def make_coordinator(
    db: str | os.PathLike[str], repository: Any, *, join: bool, lease: float | None
) -> Any:
    """The shared-sync coordinator for a PostgreSQL ``db`` (None for SQLite; ``join``
    there is a ConfigError)."""
    if not is_postgres(db):
        if join:
            raise ConfigError("--join: a shared sync needs a postgresql:// database (--db)")
        return None
    from .storage.postgres import DEFAULT_LEASE, PostgresCoordinator

    return PostgresCoordinator(repository, lease=lease or DEFAULT_LEASE, join=join)


def make_fetcher(
    source: str,
    *,
    config: SyncConfig,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    api_url: str | None = None,
    token_env: str = "GITHUB_TOKEN",
    cache: Any = None,
    github_options: dict[str, Any] | None = None,
) -> Fetcher:
    """A fetcher for ``source``: ``github:OWNER/REPO[@REF][/PATH]`` or a folder path."""
    filt = path_filter(include, exclude)
    if source.startswith(GITHUB_PREFIX):
        from .sources.github import GitHubFetcher, token_from_env

        fetcher: Fetcher = GitHubFetcher.from_spec(
            source,
            api_url=api_url or "https://api.github.com",
            token=token_from_env(token_env),
            token_env=token_env,
            path_filter=filt,
            cache=cache,
            max_file_size=config.max_file_size,
            **(github_options or {}),
        )
        return fetcher
    from .sources.folder import FolderFetcher

    if not os.path.isdir(source):
        raise ConfigError(
            f"SOURCE {source!r}: no such folder; give a folder path or github:OWNER/REPO"
        )
    return FolderFetcher(source, path_filter=filt, max_file_size=config.max_file_size)


async def build(
    cls: type[S],
    source: str,
    *,
    db: str | os.PathLike[str],
    config: SyncConfig | None = None,
    sinks: Iterable[ProgressSink] = (),
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    parser: str = "auto",
    api_url: str | None = None,
    token_env: str = "GITHUB_TOKEN",
    github_options: dict[str, Any] | None = None,
    join: bool = False,
    lease: float | None = None,
) -> S:
    """Build ``cls`` with the default parts; the service owns (and closes) them.
    ``join``/``lease``: the shared sync of a PostgreSQL ``db`` (see ``make_coordinator``)."""
    from .parsers import DefaultParser

    config = config or SyncConfig()
    parser_obj: Any = DefaultParser(rdf=parser)
    if config.strict:
        from .parsers._strict import StrictPages

        parser_obj = StrictPages(parser_obj)
    repository = await open_repository(db)
    try:
        coordinator = make_coordinator(db, repository, join=join, lease=lease)
        fetcher = make_fetcher(
            source,
            config=config,
            include=include,
            exclude=exclude,
            api_url=api_url,
            token_env=token_env,
            cache=repository,
            github_options=github_options,
        )
    except BaseException:
        await repository.aclose()
        raise
    return cls(
        fetcher=fetcher,
        repository=repository,
        parser=parser_obj,
        checkpoint=repository,
        sinks=sinks,
        config=config,
        owned=[repository, fetcher],
        coordinator=coordinator,
    )


__all__ = ["build", "make_coordinator", "make_fetcher", "open_repository"]
