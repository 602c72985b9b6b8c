"""Loading a ledger: a file -> readers (calamine, CSV) -> the form's structure (titles, merged cells, totals,
footers, hidden parts) -> rules -> rows (column-wise in columnar, row by row in validate, agreeing) -> ingest (one
transaction, the load log, undo). Also the templates clerks fill in. Never imports the KPI side: data flows one way.
"""

import pyarrow as _pa

# Arrow allocates with jemalloc where this pyarrow has it. Its default since pyarrow 13 is mimalloc, which here hands
# freed pages back to the kernel at once and faults them in again: a 1M-row CSV load took 0.73-1.11 s with 0.3-0.7 s
# of system time, run to run, against 0.77-0.82 s and 0.32-0.42 s with jemalloc (2026-12-07, issue 26; the glibc
# allocator is as fast, jemalloc is Arrow's own long-standing choice for a long-running server). Process-wide: set
# when the loader is first imported; buffers made before keep the pool they came from.
if "jemalloc" in _pa.supported_memory_backends():
    _pa.set_memory_pool(_pa.jemalloc_memory_pool())
