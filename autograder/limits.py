"""What one submission may use: time, memory, processes, output, and the sandbox mode."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from autograder.workspace import LayoutError


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to every submission.

    Attributes
    ----------
    cell_timeout : float
        Seconds one cell may run (nbgrader's ``ExecutePreprocessor.timeout``, default 30).
    wall_clock : float
        Seconds a whole submission may take, sandbox set-up included.
    memory_mb : int
        Megabytes of address space a submission may allocate (``RLIMIT_AS`` over the
        interpreter's own footprint).
    output_cap : int
        Characters of output kept per cell.
    max_processes : int
        Processes a submission may run at once (fork bombs stop there).
    sandbox : str
        ``"auto"``, ``"root"``, ``"userns"``, ``"bwrap"`` or ``"none"`` (see
        :mod:`autograder.isolation.confinement`).
    """

    cell_timeout: float = 30.0
    wall_clock: float = 600.0
    memory_mb: int = 1024
    output_cap: int = 1_000_000
    max_processes: int = 64
    sandbox: str = "auto"

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "wall_clock", "memory_mb", "output_cap", "max_processes"):
            value = getattr(self, name)
            if not value > 0:
                raise LayoutError(f"{name} must be positive, got {value!r}")

    def signature(self) -> dict[str, object]:
        """The settings that change scores (a cached grade is reused only if they match)."""
        data = asdict(self)
        data.pop("sandbox")
        return data
