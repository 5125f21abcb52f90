"""Run `ea` in another process and hold it at a named checkpoint (see ``ea_repo.runtime``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

from ea_repo.runtime import CHECKPOINT_ENV, CHECKPOINTS


class EaProcess:
    """``ea ARGS`` in a process of its own, stopping at ``stop`` (one of ``CHECKPOINTS``, or
    several) until :meth:`release`; every other checkpoint lets it through."""

    def __init__(
        self,
        folder: Path,
        *args: str,
        stop: str | Collection[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        stops = {stop} if isinstance(stop, str) else set(stop or ())
        assert stops <= set(CHECKPOINTS)
        self.folder = folder
        folder.mkdir(parents=True)
        for name in CHECKPOINTS:
            if name not in stops:
                (folder / f"{name}.go").touch()
        env = {**(os.environ if env is None else env), CHECKPOINT_ENV: str(folder)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ea_repo", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_for(self, name: str, timeout: float = 120.0) -> None:
        """Return once the process has reached checkpoint ``name``."""
        deadline = time.monotonic() + timeout
        while not (self.folder / f"{name}.reached").exists():
            assert self.proc.poll() is None, f"ended before {name}: {self.proc.communicate()}"
            assert time.monotonic() < deadline, f"{name} not reached in {timeout} s"
            time.sleep(0.02)

    def release(self, name: str) -> None:
        (self.folder / f"{name}.go").touch()

    def finish(self, timeout: float = 60.0) -> tuple[int, str, str]:
        """Wait for the end: (exit code, stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err
