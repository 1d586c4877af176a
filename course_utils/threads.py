"""How many threads numpy's BLAS may use while a network trains.

The course's network multiplies small matrices (a batch of 64 rows by 784 × 200 weights), for
which a second BLAS thread saves little: measured with ``benchmarks/mnist_speed.py`` (its
thread calibration) on a 2-core machine, the best of repeated timings of the first layer's two
products was 0.43 ms with one thread and 0.45 ms with two. On a busy machine a thread that
waits for a core holds up the other: there 80 batches took 0.15 s with one thread and 0.57 s
with two. The course runs on shared machines (a lecture's Binder, CI), so
:func:`course_utils.nn.train` limits BLAS to ``TRAINING_BLAS_THREADS`` while it runs
(threadpoolctl) and restores the setting afterwards; ``train(..., blas_threads=None)`` leaves
numpy's own setting. The thread count changes only rounding: a product is split between
threads by blocks of its output, but the kernel chosen for a block may sum in another order,
so float32 results can differ in the last bits (a test checks that a short run agrees to
rounding, and that one setting gives the same bits every time).
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
