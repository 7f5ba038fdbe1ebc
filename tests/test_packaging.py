"""`make run`'s first start is quiet: the install logs to a file, and our own pyproject.toml draws no
setuptools deprecation warning (a licence given as a table instead of an SPDX string)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_licence_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    (setuptools,) = [req for req in project["build-system"]["requires"] if req.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)", setuptools)
    assert minimum and int(minimum.group(1)) >= 77  # SPDX strings arrived in setuptools 77


def test_the_install_writes_to_a_log_not_the_terminal() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    install = makefile[makefile.index("$(STAMP): pyproject.toml") : makefile.index("run: $(STAMP)")]
    pip_lines = [line for line in install.splitlines() if "pip install" in line]
    assert pip_lines and all("> $(INSTALL_LOG) 2>&1" in line for line in pip_lines)
