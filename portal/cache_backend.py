"""The embedded default cache: diskcache's Django backend, shared by every worker process.

diskcache keeps the entries in SQLite files (one per shard) with atomic `add` and `incr`
(one SQL transaction each), which the rate limits, the circuit breakers, the token lock and
the refresh locks rely on (docs/decisions/). Django opens one backend per thread.
"""

from __future__ import annotations

import os

from diskcache import DjangoCache


class SharedDiskCache(DjangoCache):
    """`DjangoCache` that keeps its per-thread SQLite connections between requests.

    Django closes every cache when a request finishes; for diskcache that means reopening up
    to one SQLite file per shard, with its pragmas, on the next request. The connections are
    per thread and diskcache reopens them after a fork, so keeping them is safe, like the
    database's CONN_MAX_AGE.
    """

    def __init__(self, directory, params):
        # The cache holds pickles: only the portal's own user may read or write them.
        os.makedirs(directory, mode=0o700, exist_ok=True)
        super().__init__(directory, params)

    def close(self, **kwargs):
        pass
