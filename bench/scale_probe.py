"""`hydron` with a memory probe: bench_scale.py --profile runs the operator through this.

On SIGUSR1 the process writes, next to the path in HYDRON_PROBE (a prefix), a
tracemalloc snapshot (`<prefix>-<n>.snap`) and the count of live objects by type
(`<prefix>-<n>.types.json`), after a full garbage collection. Two snapshots taken with
N and M objects present, diffed, say where the memory per object goes.

    HYDRON_PROBE=/tmp/p python -X tracemalloc=12 bench/scale_probe.py run --namespace scale
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import tracemalloc
from collections import Counter
from itertools import count

_taken = count(1)


def dump(*_: object) -> None:
    prefix = os.environ["HYDRON_PROBE"]
    n = next(_taken)
    gc.collect()
    if tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(f"{prefix}-{n}.snap")
    types = Counter(type(o).__qualname__ for o in gc.get_objects())
    with open(f"{prefix}-{n}.types.json", "w") as out:
        json.dump(dict(types.most_common(300)), out)
    with open(f"{prefix}-{n}.done", "w"):
        pass


def main() -> int:
    signal.signal(signal.SIGUSR1, dump)
    from hydron.cli.main import main as hydron

    sys.argv[0] = "hydron"
    return hydron()


if __name__ == "__main__":
    sys.exit(main())
