"""`pytest --mockidp-profile FILE`: the conformance suite as one pytest item per scenario.

Collection lists the scenarios (`mockidp run --list`); the first item to run runs the whole
suite once (`mockidp run --json`), and every item then reports its own scenario's verdict.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Any, Dict, List, Optional

import pytest

# What `mockidp run --list` prints after the scenario lines.
_LIST_FOOTER = " scenario(s)"
_LIST_SEPARATOR = "  — "


class SuiteRun:
    """One `mockidp run` of a profile, started on first use and shared by every scenario item."""

    def __init__(self, binary: str, profile: str, run_args: List[str], cwd: str):
        self.binary = binary
        self.profile = profile
        self.run_args = list(run_args)
        self.cwd = cwd
        self._results: Optional[Dict[str, List[Dict[str, Any]]]] = None
        self._problem: Optional[str] = None

    def command(self, *extra: str) -> List[str]:
        return [self.binary, "run", "--target", self.profile, "--no-color", *self.run_args, *extra]

    def list_scenarios(self) -> List[Dict[str, str]]:
        done = subprocess.run(self.command("--list"), cwd=self.cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ProfileUnusable(f"mockidp run --list exited {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
        scenarios = []
        for line in done.stdout.splitlines():
            if _LIST_SEPARATOR in line:
                scenario_id, _, title = line.partition(_LIST_SEPARATOR)
                scenarios.append({"id": scenario_id.strip(), "title": title.strip()})
            elif line.strip() and not line.endswith(_LIST_FOOTER):
                raise ProfileUnusable(f"unexpected line from mockidp run --list: {line!r}")
        return scenarios

    def results(self) -> Dict[str, List[Dict[str, Any]]]:
        """Every scenario's results by ID; runs the suite the first time."""
        if self._results is None and self._problem is None:
            self._run()
        if self._problem is not None:
            raise SuiteRunFailed(self._problem)
        assert self._results is not None
        return self._results

    def _run(self) -> None:
        with tempfile.TemporaryDirectory(prefix="pytest-mockidp-") as folder:
            report = os.path.join(folder, "report.json")
            done = subprocess.run(self.command("--json", report), cwd=self.cwd, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True)
            # 0 every scenario passed, 1 some failed: both write the report. 2 (usage) and 3 (the
            # app unreachable) may not, and then their message is every item's failure.
            if not os.path.exists(report):
                tail = "\n".join((done.stderr.strip() or done.stdout.strip()).splitlines()[-30:])
                self._problem = f"mockidp run exited {done.returncode} without a report:\n{tail}"
                return
            with open(report, encoding="utf-8") as file:
                data = json.load(file)
        self._results = {}
        for scenario in data.get("scenarios", []):
            self._results.setdefault(scenario["id"], []).append(scenario)


class SuiteRunFailed(Exception):
    pass


class ProfileUnusable(Exception):
    pass


class ScenarioFailed(Exception):
    pass


class ProfileSuite(pytest.Collector):
    """The scenarios of one profile, named after it (`mockidp.json::token.wrong-issuer`)."""

    def __init__(self, *, suite: SuiteRun, **kwargs: Any):
        super().__init__(**kwargs)
        self.suite = suite

    def collect(self):
        for scenario in self.suite.list_scenarios():
            yield ScenarioItem.from_parent(self, name=scenario["id"], title=scenario["title"])

    def repr_failure(self, excinfo):
        if excinfo.errisinstance(ProfileUnusable):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    def __init__(self, *, title: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.title = title

    def runtest(self) -> None:
        suite: SuiteRun = self.parent.suite  # type: ignore[attr-defined]
        runs = suite.results().get(self.name)
        if not runs:
            raise ScenarioFailed(f"{self.name}: mockidp run reported no result for it")
        failed = [run for run in runs if run["verdict"] in ("fail", "error")]
        if failed:
            raise ScenarioFailed("\n\n".join(describe_failure(run) for run in failed))
        passed = [run for run in runs if run["verdict"] == "pass"]
        if not passed:
            run = runs[0]
            label = "not applicable" if run["verdict"] == "not_applicable" else run["verdict"]
            pytest.skip(f"{label}: {run.get('reason') or 'no reason given'}")

    def repr_failure(self, excinfo, style=None):
        if excinfo.errisinstance((ScenarioFailed, SuiteRunFailed)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"mockidp scenario {self.name}: {self.title}"


def describe_failure(run: Dict[str, Any]) -> str:
    """What the console report says about a failure: the rule, each finding, the reproduce command."""
    lines = [f"{run['id']} — {run.get('title', '')}: {run['verdict']}"]
    if run.get("reason"):
        lines.append(f"reason: {run['reason']}")
    rule = run.get("verdict_rule") or {}
    if rule.get("fails_when"):
        lines.append(f"fails when: {rule['fails_when']}")
    for finding in run.get("findings") or []:
        line = f"  [{finding.get('step')}] {finding.get('message')}"
        if finding.get("because"):
            line += f" (because {finding['because']})"
        lines.append(line)
    if run.get("reproduce"):
        lines.append(f"reproduce: {run['reproduce']}")
    return "\n".join(lines)
