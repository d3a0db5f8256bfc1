"""``--dask ADDRESS`` errors are clear and quick, before any submission is read; failed tasks
become a submission's reason, never an exception out of the grading loop."""

from __future__ import annotations

import socket
import sys
import time

import ag_cases
import pytest

from autograder.cli import main
from autograder.cluster.dask_pool import (
    CONNECT_TIMEOUT,
    ClusterError,
    DaskPool,
    import_distributed,
    parse_address,
)
from autograder.isolation.pool import PoolError

pytestmark = pytest.mark.xdist_group("dask")

NO_DASK = 'the Dask extra is not installed (pip install -e ".[dask]")'


@pytest.mark.parametrize(
    "address",
    [
        "",
        "8786",
        "localhost:8786",
        "http://127.0.0.1:8786",
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:99999",
        "local:",
        "local:two",
        "local:0",
    ],
)
def test_malformed_address_says_what_was_expected(address):
    with pytest.raises(ClusterError) as error:
        parse_address(address)
    message = str(error.value)
    if address == "local:0":
        assert "at least 1 worker" in message
    else:
        assert "expected tcp://HOST:PORT" in message and "local:N" in message
        assert repr(address) in message


def test_host_port_without_scheme_gets_a_hint():
    with pytest.raises(ClusterError, match=r"did you mean tcp://localhost:8786\?"):
        parse_address("localhost:8786")


@pytest.mark.parametrize(
    ("address", "parsed"),
    [
        ("local:2", ("local", 2)),
        ("tcp://127.0.0.1:8786", ("remote", "tcp://127.0.0.1:8786")),
        (
            "tcp://scheduler.cluster.example.edu:8786",
            ("remote", "tcp://scheduler.cluster.example.edu:8786"),
        ),
        ("tls://[::1]:8786", ("remote", "tls://[::1]:8786")),
    ],
)
def test_good_addresses(address, parsed):
    assert parse_address(address) == parsed


def test_missing_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(ClusterError, match=r'pip install -e "\.\[dask\]"'):
        import_distributed()
    with pytest.raises(PoolError):  # what the command line reports as a usage error
        DaskPool("local:2", {}, ag_cases.HERE).start()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_scheduler_fails_fast(tmp_path):
    pytest.importorskip("distributed", reason=NO_DASK)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(ClusterError) as error:
        DaskPool(address, {}, tmp_path).start()
    assert time.monotonic() - started < CONNECT_TIMEOUT + 10
    assert f"could not reach the Dask scheduler at {address}" in str(error.value)
    assert "expected tcp://HOST:PORT" in str(error.value)


def test_cli_reports_a_bad_cluster_before_reading_submissions(tmp_path, capsys):
    pytest.importorskip("distributed", reason=NO_DASK)
    cases = ag_cases.cases(tmp_path / "ws", tmp_path / "secret.txt", 9)
    folder = ag_cases.write_class(tmp_path / "class", {"full": cases["full"]})
    workspace = tmp_path / "ws"
    code = main(
        [
            "--root",
            str(ag_cases.FIXTURE_ROOT),
            "grade",
            "fx_basics",
            str(folder),
            "--dask",
            f"tcp://127.0.0.1:{_closed_port()}",
            "--workspace",
            str(workspace),
            "--no-progress",
        ]
    )
    assert code == 2
    assert "course grade: error: could not reach the Dask scheduler" in capsys.readouterr().err
    assert not list(workspace.rglob("full*.json"))  # nothing was read, nothing recorded


def _job(student: str) -> dict:
    return {"id": student, "cells": [{"index": 2, "source": "x = 1"}], "files": []}


def test_a_submission_that_kills_its_workers_is_died_not_an_exception(tmp_path):
    scheduler = pytest.importorskip("distributed.scheduler", reason=NO_DASK)
    KilledWorker = scheduler.KilledWorker  # noqa: N806 - the class

    pool = DaskPool("local:1", {}, tmp_path)
    done = pool._failure(_job("ann"), KilledWorker("grade-ann-1", None, 2))
    assert done["status"] == "died"  # the scorer's "stop" statuses: a reason, zero points
    assert done["reason"] == "the Dask worker grading it died 3 times (does it kill its worker?)"
    assert done["cell"] == 2 and done["job"] == "ann"


def test_any_other_task_failure_is_a_grader_error_with_its_reason(tmp_path):
    pool = DaskPool("local:1", {}, tmp_path)
    try:
        raise RuntimeError("the worker's disk is full")
    except RuntimeError as exc:
        done = pool._failure(_job("bo"), exc)
    assert done["status"] == "grader_error"
    assert "RuntimeError: the worker's disk is full" in done["reason"]
    log = (tmp_path / "dask.log").read_text()
    assert "--- bo on local:1" in log and "Traceback" in log


class _Finished:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def result(self) -> bytes:
        return self.payload


def test_task_results_become_events_ending_with_one_done(tmp_path):
    pool = DaskPool("local:1", {}, tmp_path)
    cells = b'[{"type":"cell","index":2},{"type":"cell","index":3}'
    events = pool._events(_Finished(cells + b',{"type":"done","status":"ok"}]'), _job("cy"))
    assert [(e.kind, e.job) for e in events] == [("cell", "cy"), ("cell", "cy"), ("done", "cy")]
    truncated = pool._events(_Finished(cells + b"]"), _job("cy"))
    assert [e.kind for e in truncated] == ["cell", "cell", "done"]
    assert truncated[-1].data["status"] == "grader_error"
    garbage = pool._events(_Finished(b"not json"), _job("cy"))
    assert [e.kind for e in garbage] == ["done"] and garbage[0].data["status"] == "grader_error"
