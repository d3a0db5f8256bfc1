"""The grading process's side of ``course grade --dask ADDRESS``.

:class:`DaskPool` has the interface of :class:`autograder.isolation.pool.WorkerPool`:

- :meth:`DaskPool.start` connects to the scheduler (``tcp://host:port``), or starts a
  ``distributed.LocalCluster`` on 127.0.0.1 for ``local:N``, and registers this run's worker
  plugin (:class:`autograder.cluster.plugin.GraderPlugin`), which starts the warm grading
  processes on every worker. A malformed address, an unreachable scheduler or a missing
  ``distributed`` is a :class:`ClusterError` here, before any submission is read.
- :meth:`DaskPool.wait_ready` waits until the workers' grading processes are up and fills
  :attr:`DaskPool.info` (``sandbox_detail``: the mode each worker probed for itself).
- :meth:`DaskPool.run` submits one task per job (the job travels as bytes in the task) and
  yields each job's events as its task finishes (``as_completed``), so the caller records
  every grade at once. Whatever happens on the cluster, every job ends with exactly one
  ``done`` event: a task whose workers all died while running it (Dask's ``KilledWorker``)
  is ``died``, with the reason; any other failure is ``grader_error``.
- :meth:`DaskPool.close` cancels what is left, removes the plugin from the workers (their
  grading processes stop) and closes the local cluster, if it started one.
"""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder.isolation.pool import START_TIMEOUT, Event, PoolError

#: What to install for ``--dask``.
INSTALL_HINT = 'pip install -e ".[dask]"'
#: Seconds to reach the scheduler before giving up.
CONNECT_TIMEOUT = 5.0
#: Seconds between two questions to the scheduler about how many worker threads there are.
CAPACITY_REFRESH = 2.0
#: Times the Dask worker running a submission may die before the submission is recorded as
#: ``died`` (Dask's ``KilledWorker``; the scheduler's ``allowed-failures`` is one less, set so
#: for ``local:N``; a remote scheduler's own setting applies and the reason says its count).
WORKER_KILLS = 3
#: Dask settings of ``local:N`` clusters. A task may kill :data:`WORKER_KILLS` workers; the
#: rest keeps Dask's background work (about 5 CPU seconds a minute for two idle workers, on
#: the grading machine's own cores) to what grading needs: no statistical profiler sampling
#: the grading threads, no work stealing (a worker never holds a task waiting, see
#: :meth:`DaskPool.run`), slower health and memory monitors (the sandbox has its own limits).
LOCAL_SETTINGS = {
    "distributed.scheduler.allowed-failures": WORKER_KILLS - 1,
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "1s",
}
_LOCAL = re.compile(r"local:(\d+)")
_REMOTE = re.compile(r"(tcp|tls)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")
_EXPECTED = "expected tcp://HOST:PORT (a running Dask scheduler) or local:N (N local workers)"


class ClusterError(PoolError):
    """The Dask cluster cannot be used: bad address, unreachable scheduler, missing extra."""


def parse_address(address: str) -> tuple[str, str | int]:
    """Check a ``--dask`` address.

    Parameters
    ----------
    address : str
        ``tcp://host:port`` (or ``tls://host:port``) or ``local:N``.

    Returns
    -------
    tuple
        ``("local", N)`` or ``("remote", address)``.

    Raises
    ------
    ClusterError
        If it is neither, saying what was expected and what came.
    """
    text = (address or "").strip()
    local = _LOCAL.fullmatch(text)
    if local:
        workers = int(local.group(1))
        if workers < 1:
            raise ClusterError(f"--dask {address!r}: a local cluster needs at least 1 worker")
        return "local", workers
    remote = _REMOTE.fullmatch(text)
    if remote and 0 < int(remote.group(3)) < 65536:
        return "remote", text
    hint = ""
    if re.fullmatch(r"[A-Za-z0-9_.-]+:\d+", text):
        hint = f" (did you mean tcp://{text}?)"
    raise ClusterError(f"--dask: {_EXPECTED}; got {address!r}{hint}")


def import_distributed() -> Any:
    """``import distributed``, or a :class:`ClusterError` naming the extra to install."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(
            f"--dask needs Dask's distributed scheduler, which is not installed ({exc}); "
            f"install the extra: {INSTALL_HINT}"
        ) from None
    return distributed


class DaskPool:
    """Run grading jobs on a Dask cluster, with the interface of ``WorkerPool``.

    Parameters
    ----------
    address : str
        ``tcp://host:port`` of a running scheduler, or ``local:N``.
    init : dict
        The worker ``init`` message (sandbox mode, secrets, preload...), sent to every
        worker's grading processes.
    log_dir : Path
        Tracebacks of failed tasks go to ``dask.log`` there.
    """

    def __init__(self, address: str, init: dict[str, Any], log_dir: Path) -> None:
        self.address = address
        self.init = dict(init)
        self.log_dir = Path(log_dir)
        self.info: dict[str, Any] = {}
        self.plugin_name = f"course-grader-{uuid.uuid4().hex[:10]}"
        self.client: Any = None
        self.cluster: Any = None
        self._futures: dict[str, Any] = {}
        self._threads, self._threads_at = 0, -float("inf")
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None

    # -- connection ----------------------------------------------------------------------
    def start(self) -> DaskPool:
        """Connect to the scheduler and set the workers up (``local:N``: in the background).

        Raises
        ------
        ClusterError
            Malformed address, ``distributed`` missing, scheduler unreachable. (A local
            cluster that fails to start is reported by :meth:`wait_ready`.)
        """
        kind, target = parse_address(self.address)
        distributed = import_distributed()
        if kind == "local":  # its processes start while the submissions are read, as --jobs's
            self._starting = threading.Thread(
                target=self._start_local, args=(distributed, int(target)), daemon=True
            )
            self._starting.start()
            return self
        try:
            self._setup(distributed, str(target))
        except BaseException:
            self.close()
            raise
        return self

    def _start_local(self, distributed: Any, workers: int) -> None:
        try:
            self.cluster = local_cluster(workers)
            self._setup(distributed, self.cluster.scheduler_address)
        except BaseException as exc:  # raised again by wait_ready
            self._start_error = exc

    def _setup(self, distributed: Any, target: str) -> None:
        """Connect, then register this run's plugin (which starts the grading processes)."""
        self.client = _connect(distributed, target, self.address)
        from autograder.cluster.plugin import GraderPlugin

        plugin = GraderPlugin(self.init, self.plugin_name)
        self.client.register_plugin(plugin, name=self.plugin_name)

    def _started(self) -> None:
        """Wait for a background start; raise its error."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error

    def wait_ready(self) -> dict[str, Any]:
        """Wait until the workers' grading processes are up; describe them in :attr:`info`.

        Returns
        -------
        dict
            The ``ready`` message of one grading process.

        Raises
        ------
        ClusterError
            No worker joined, or no grading process could start on any worker.
        """
        self._started()
        deadline = time.monotonic() + START_TIMEOUT
        try:
            self.client.wait_for_workers(1, timeout=START_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            raise ClusterError(
                f"no Dask worker joined the scheduler at {self.address} "
                f"within {START_TIMEOUT:g} s ({exc})"
            ) from None
        while True:
            statuses = self._statuses()
            slots = [s for status in statuses.values() for s in status.get("slots", [])]
            starting = not slots or any(s["state"] == "starting" for s in slots)
            ready = [s["hello"] for s in slots if s["state"] == "ready"]
            failed = [s["reason"] for s in slots if s["state"] not in ("ready", "starting")]
            if ready and (not starting or time.monotonic() > deadline):
                self.info = _describe(statuses, ready, failed)
                return {"type": "ready", **ready[0]}
            if not starting or time.monotonic() > deadline:
                reasons = "; ".join(dict.fromkeys(failed)) or "they did not start in time"
                raise ClusterError(f"no grading process could start on the Dask workers: {reasons}")
            time.sleep(0.2)

    def _statuses(self) -> dict[str, dict[str, Any]]:
        from autograder.cluster.plugin import grader_status

        answers = self.client.run(grader_status, self.plugin_name, on_error="return")
        return {
            address: answer
            for address, answer in answers.items()
            if isinstance(answer, dict)  # a worker that errored is left out
        }

    # -- grading -------------------------------------------------------------------------
    def run(self, jobs: list[dict[str, Any]]) -> Iterator[Event]:
        """Run jobs on the cluster; yield events as tasks finish (one ``done`` per job).

        At most one task per worker thread is in flight, so a worker does not hold
        submissions waiting behind the one it grades (Dask counts a worker's death against
        every task on it, waiting or not; only the tasks of a worker that just died may be
        placed behind another), and the scheduler holds only the jobs being graded. The next
        job is submitted as soon as one finishes, before its events are yielded.

        Parameters
        ----------
        jobs : list of dict
            Each with a unique ``id``.

        Yields
        ------
        Event
        """
        from distributed import as_completed

        self._started()
        waiting = deque(jobs)
        by_key: dict[str, dict[str, Any]] = {}
        finished: set[str] = set()
        running = as_completed([], loop=self.client.loop)
        self._submit(waiting, by_key, running)
        for future in running:
            job = by_key.pop(future.key)
            self._futures.pop(future.key, None)
            self._submit(waiting, by_key, running)
            if job["id"] in finished:  # a result for a job already recorded: never twice
                continue
            finished.add(job["id"])
            events = self._events(future, job)
            future.release()
            yield from events
        for job in jobs:
            if job["id"] not in finished:
                finished.add(job["id"])
                reason = "the Dask cluster returned no result for it"
                yield Event("done", job["id"], _done(job, "grader_error", reason))

    def _submit(self, waiting: deque, by_key: dict[str, Any], running: Any) -> None:
        """Submit waiting jobs until every worker thread has one (at least one in flight)."""
        from autograder.cluster.plugin import grade_job

        while waiting and len(by_key) < self._capacity():
            job = waiting.popleft()
            payload = json.dumps(job, separators=(",", ":")).encode("utf-8")
            key = f"grade-{_slug(str(job['id']))}-{uuid.uuid4().hex[:8]}"
            future = self.client.submit(grade_job, payload, self.plugin_name, key=key, pure=False)
            by_key[future.key] = job
            self._futures[future.key] = future
            running.add(future)

    def _capacity(self) -> int:
        """Worker threads in the cluster (asked at most every few seconds; at least 1)."""
        now = time.monotonic()
        if now - self._threads_at > CAPACITY_REFRESH:
            try:
                self._threads = sum(self.client.nthreads().values())
            except Exception:  # keep the last known figure
                pass
            self._threads_at = now
        return max(1, self._threads)

    def _events(self, future: Any, job: dict[str, Any]) -> list[Event]:
        """The events of one finished task (exactly one ``done``, always last)."""
        job_id = job["id"]
        try:
            messages = json.loads(future.result())
        except Exception as exc:
            return [Event("done", job_id, self._failure(job, exc))]
        events = [Event("cell", job_id, m) for m in messages if m.get("type") == "cell"]
        finals = [m for m in messages if m.get("type") == "done"]
        if finals:
            return [*events, Event("done", job_id, finals[-1])]
        reason = "the grading process sent no result"
        return [*events, Event("done", job_id, _done(job, "grader_error", reason))]

    def _failure(self, job: dict[str, Any], exc: BaseException) -> dict[str, Any]:
        """The ``done`` data of a task that raised (logged to ``dask.log``)."""
        if type(exc).__name__ == "KilledWorker":
            times = int(getattr(exc, "allowed_failures", WORKER_KILLS - 1)) + 1
            first = job["cells"][0]["index"] if job.get("cells") else -1
            reason = f"the Dask worker grading it died {times} times (does it kill its worker?)"
            done = _done(job, "died", reason)
            return {**done, "cell": first}
        self._log(job, exc)
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return _done(job, "grader_error", f"the Dask task failed ({detail}); see {self._log_path}")

    @property
    def _log_path(self) -> Path:
        return self.log_dir / "dask.log"

    def _log(self, job: dict[str, Any], exc: BaseException) -> None:
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self._log_path, "a", encoding="utf-8") as log:
                text = "".join(traceback.format_exception(exc))
                log.write(f"--- {job['id']} on {self.address}\n{text}\n")
        except OSError:
            pass

    # -- the end -------------------------------------------------------------------------
    def close(self) -> None:
        """Cancel what is left, stop the workers' grading processes, disconnect."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        client, self.client = self.client, None
        if client is not None:
            pending = [f for f in self._futures.values() if not f.done()]
            steps = [lambda: client.cancel(pending)] if pending else []
            if self.cluster is None:  # a shared cluster: its workers stop this run's processes
                steps.append(lambda: client.unregister_worker_plugin(self.plugin_name))
            for step in [*steps, client.close]:
                try:
                    step()
                except Exception:  # closing must not hide the error that led here
                    pass
        self._futures = {}
        cluster, self.cluster = self.cluster, None
        if cluster is not None:
            try:
                cluster.close(timeout=30)
            except Exception:
                pass

    def __enter__(self) -> DaskPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_cluster(workers: int) -> Any:
    """The cluster of ``--dask local:N``.

    Parameters
    ----------
    workers : int
        Number of worker processes (one thread each).

    Returns
    -------
    distributed.LocalCluster
        Listening on 127.0.0.1 only; a task may kill :data:`WORKER_KILLS` workers.

    Raises
    ------
    ClusterError
        If it cannot start.
    """
    import dask

    distributed = import_distributed()

    try:
        with dask.config.set(LOCAL_SETTINGS):
            return distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # no dashboard; its bare HTTP server on a free loopback port, not 8787
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            )
    except Exception as exc:
        raise ClusterError(
            f"could not start a local Dask cluster of {workers} worker(s): "
            f"{type(exc).__name__}: {exc}"
        ) from None


def _connect(distributed: Any, target: str, shown: str) -> Any:
    """A client of the scheduler at ``target``, or a :class:`ClusterError` within seconds."""
    try:
        _probe(target)  # a refused connection is known at once; Dask would retry until timeout
        return distributed.Client(target, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:
        raise ClusterError(
            f"could not reach the Dask scheduler at {shown} ({type(exc).__name__}: {exc}; "
            f"waited at most {CONNECT_TIMEOUT:g} s); {_EXPECTED}: start one with "
            "`dask scheduler` and `dask worker`, or a cluster manager (dask-jobqueue, "
            "dask-kubernetes)"
        ) from None


def _probe(target: str) -> None:
    """Open and close a TCP connection to ``scheme://host:port``."""
    import socket

    host, _, port = target.split("://", 1)[1].rpartition(":")
    with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
        pass


def _describe(
    statuses: dict[str, dict[str, Any]], ready: list[dict[str, Any]], failed: list[str]
) -> dict[str, Any]:
    """``info``: the first ``ready`` message, with a ``sandbox_detail`` for the whole cluster."""
    # one description per mode (a description names its worker's sandbox uid)
    details = {h.get("sandbox") or "?": h.get("sandbox_detail") or "?" for h in reversed(ready)}
    counts = Counter(h.get("sandbox") or "?" for h in ready)
    workers = sum(1 for s in statuses.values() if any(x["state"] == "ready" for x in s["slots"]))
    where = f"{workers} Dask worker{'s' * (workers != 1)}, {len(ready)} grading process"
    where += "es" * (len(ready) != 1)
    if len(details) == 1:
        detail = f"{next(iter(details.values()))} (on {where})"
    else:
        parts = "; ".join(f"{details[m]} ({n} process{'es' * (n != 1)})" for m, n in counts.items())
        detail = f"mixed: {parts} (on {where})"
    if failed:
        detail += f"; {len(failed)} grading process(es) failed to start: {failed[0]}"
    modes = sorted({h.get("sandbox") for h in ready if h.get("sandbox")})
    return {**ready[0], "sandbox_detail": detail, "sandbox_modes": modes, "workers": workers}


def _done(job: dict[str, Any], status: str, reason: str) -> dict[str, Any]:
    return {"type": "done", "job": job["id"], "status": status, "reason": reason}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:40]
