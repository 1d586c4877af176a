"""How many threads numpy's BLAS may use while a network trains.

The course's network multiplies small matrices (a batch of 64 rows by 784 × 200 weights), for
which a second BLAS thread saves little even on an idle machine, and on a busy one costs a lot:
a thread that waits for a core holds up the other. ``benchmarks/mnist_speed.py`` measures it
(its thread calibration: 80 batches of the lecture's network, each thread count timed 7 times,
interleaved); on the course's 2-core machine with a load average of about 7, one thread took
0.16 s (best 0.12 s) and two threads 2.6 s (best 2.2 s); torch alike, 0.23 s and 3.8 s.
The course runs on shared machines (a lecture's Binder, CI), so :func:`course_utils.nn.train`
limits BLAS to ``TRAINING_BLAS_THREADS`` while it runs (threadpoolctl) and restores the
setting afterwards; ``train(..., blas_threads=None)`` leaves numpy's own setting, and the
benchmark chooses each side's count by measuring it anew. The thread count changes only
rounding: a product split between threads may be summed in another order, so float32 results
can differ in the last bits (a test checks that a short run agrees to rounding, and that one
setting gives the same bits every time).
"""

import contextlib

from threadpoolctl import threadpool_limits

from . import checks

TRAINING_BLAS_THREADS = 1


def check_threads(threads):
    """``threads`` as an int ≥ 1, or None (leave numpy's setting alone)."""
    return None if threads is None else checks.whole("blas_threads", threads, low=1)


@contextlib.contextmanager
def limit_blas_threads(threads):
    """Within the block, numpy's BLAS uses at most ``threads`` threads (None: no limit set)."""
    threads = check_threads(threads)
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield
