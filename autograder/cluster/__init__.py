"""Grading on a Dask cluster: ``course grade EX SUBMISSIONS --dask ADDRESS``.

The same sandboxed grading as ``--jobs N``, on the workers of a Dask (``distributed``)
scheduler instead of local processes:

- :mod:`autograder.cluster.dask_pool`: :class:`~autograder.cluster.dask_pool.DaskPool`, the
  grading process's side. It has the interface of :class:`autograder.isolation.pool.WorkerPool`
  (``start``, ``wait_ready``, ``info``, ``run``, ``close``), so the grading pipeline does not
  care which executor it drives. It submits one task per submission (the job travels as bytes
  in the task), yields the results as they finish (``as_completed``) and stays the only writer
  of grades.
- :mod:`autograder.cluster.plugin`: what runs on each Dask worker. A worker plugin starts and
  keeps one warm grading process (``python -m autograder.isolation.worker``, the process
  ``--jobs`` uses) per worker thread; the task :func:`~autograder.cluster.plugin.grade_job`
  hands a job to a free one and returns its results.

``distributed`` is an optional extra (``pip install -e ".[dask]"``); it is imported only when
``--dask`` is used.
"""
