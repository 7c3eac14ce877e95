"""Watching a sync: one event stream and the views derived from it.

* ``events`` -- what happened, in order (the only thing the service sends out);
* ``tally`` -- ``RunTally``, the fold of one run's events: its progress, its report and
  the worker pool's numbers; ``ProgressTracker`` is a sink around one;
* ``sinks`` -- log lines, a terminal bar, JSON lines, callbacks;
* ``metrics`` and ``health`` -- counters, histograms and a health verdict;
* ``prometheus`` and ``rich`` -- the optional exporters (extras ``prometheus`` and
  ``progress``).

Everything a user needs is importable from ``streaming_sync``; this package's own
``__init__`` imports nothing, so that the ports can use ``observe.events`` without
pulling in the views.
"""
