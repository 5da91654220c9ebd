"""What the benchmark needs besides the project: Prism (npm, pinned, into ``bench/.tools``), wrk
(Debian's; apt-get when root) and redis-server (for the ``--store redis://`` column, when offered).

Only ``make bench`` calls these; nothing is downloaded by the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["PRISM_VERSION", "TOOLS", "ensure_prism", "ensure_wrk", "find_redis_server"]

#: Prism 5.x, pinned: figures from two runs compare only on the same peer.
PRISM_VERSION = "5.14.2"
#: The benchmark's own install folder (git-ignored).
TOOLS = Path(__file__).resolve().parent / ".tools"


def ensure_prism() -> Path:
    """The ``prism`` executable, installed with npm into :data:`TOOLS` on first use."""
    prism = TOOLS / "node_modules" / ".bin" / "prism"
    package = TOOLS / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if not prism.exists() or f'"version": "{PRISM_VERSION}"' not in package.read_text():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install Prism (apt-get install npm)")
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund",
             "--save-exact", f"@stoplight/prism-cli@{PRISM_VERSION}"],
            check=True,
        )  # fmt: skip
    return prism


def ensure_wrk() -> str:
    """The ``wrk`` executable: on the PATH, else installed with apt-get when running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing: apt-get install wrk (needs root)")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=True)
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("apt-get did not install wrk")
    return found


def find_redis_server() -> str | None:
    """``redis-server`` on the PATH, if any."""
    return shutil.which("redis-server")
