"""Servers on free local ports, and what they cost: start time, peak memory, CPU time.

Memory and CPU come from /proc (Linux): VmHWM is the kernel's own record of a process's peak
resident memory, so no sampling can miss a spike; a server's figure is the sum over the
process and its children.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Sequence

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> List[int]:
    """The process and all its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def status_kb(pid: int, field: str) -> int:
    """A memory field of /proc/<pid>/status in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Server:
    """A server process started with its output in a log file."""

    def __init__(self, name: str, command: Sequence[str], cwd: Path, env: Dict[str, str],
                 ready_url: str, log: Path):
        self.name, self.command, self.cwd, self.env = name, list(command), cwd, env
        self.ready_url, self.log = ready_url, log
        self.process: Optional[subprocess.Popen] = None
        self.start_s: Optional[float] = None

    def start(self, timeout: float = 300) -> float:
        """Start and wait until it answers; the seconds that took."""
        began = time.perf_counter()
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env,
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = began + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up "
                                   f"(code {self.process.returncode}); end of {self.log}:\n"
                                   f"{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2):
                    self.start_s = time.perf_counter() - began
                    return self.start_s
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer at {self.ready_url} within {timeout} s; "
                           f"end of {self.log}:\n{self.log.read_text()[-3000:]}")

    def pids(self) -> List[int]:
        return process_tree(self.process.pid) if self.process else []

    def peak_rss_mb(self) -> float:
        """Peak resident memory so far (VmHWM), summed over the process tree, in MB."""
        return round(sum(status_kb(p, "VmHWM") for p in self.pids()) / 1024, 1)

    def rss_mb(self) -> float:
        return round(sum(status_kb(p, "VmRSS") for p in self.pids()) / 1024, 1)

    def cpu_s(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids())

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in reversed(self.pids()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.process.wait()
