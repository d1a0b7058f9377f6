"""Run orderhealth on a Dask cluster (docs/SCALE-OUT.md).

The work is the `orderhealth` binary's own: one task per (store, partition) runs
`orderhealth partition`, one more sums them (`orderhealth report --from-parts`, or
`orderhealth fleet --from-parts`). Dask schedules the tasks, retries a task whose process
died, and moves work off a worker that died. Every path (stores, results, outputs) must be
on a file system every worker sees.
"""

from .driver import DriverError, fleet, partitions_of, report

__all__ = ["DriverError", "fleet", "partitions_of", "report"]
