"""The storage backends: ``storage.sqlite`` (``SqliteRepository``, the default) and
``storage.postgres`` (``PostgresRepository``, ``PostgresCoordinator``; extra
``postgres``). Both run the one per-file write algorithm of ``storage._write`` with
their own SQL; ``storage._names`` says which backend a ``db`` value names."""
