"""The pytest11 entry point: the `mockidp` fixture and `--mockidp-profile`."""
from __future__ import annotations

import os
import shlex

import pytest

from .server import MockIdP, MockIdPError, find_binary
from .suite import ProfileSuite, SuiteRun


def pytest_addoption(parser):
    group = parser.getgroup("mockidp", "MockIdP (mock WorkOS identity provider)")
    group.addoption("--mockidp-bin", metavar="PATH", default=None,
                    help="the mockidp executable (default: $MOCKIDP_BIN, else mockidp on PATH)")
    group.addoption("--mockidp-serve-args", metavar="ARGS", default="",
                    help="extra options for the fixture's `mockidp serve`, shell-quoted (e.g. '--seed 7 --alg ES256')")
    group.addoption("--mockidp-profile", metavar="FILE", default=None,
                    help="run the MockIdP conformance suite against the app this target profile describes, "
                         "one test per scenario (a file, or a built-in profile's name)")
    group.addoption("--mockidp-run-args", metavar="ARGS", default="",
                    help="extra options for `mockidp run`, shell-quoted (e.g. '--filter token --app-arg=--verbose')")


def _binary(config) -> str:
    try:
        return find_binary(config.getoption("mockidp_bin"))
    except MockIdPError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def mockidp(request):
    """`mockidp serve --port 0` for the whole session: `base_url`, `issuer`, `jwks_url`,
    `client_id`, `api_key`, `env` (what a WorkOS SDK needs), and `mint_token`, `reset`,
    `arm_fault`, `clear_faults`, `journal`. State is shared: call `reset()` where a test needs
    the fixtures as they started."""
    config = request.config
    server = MockIdP(_binary(config), shlex.split(config.getoption("mockidp_serve_args")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    # tryfirst: the items must be in place before -k/-m deselection looks at them.
    profile = config.getoption("mockidp_profile")
    if not profile:
        return
    invoked = str(config.invocation_params.dir)
    candidate = os.path.join(invoked, profile)
    target = candidate if os.path.exists(candidate) else profile  # else a built-in profile's name
    suite = SuiteRun(_binary(config), target, shlex.split(config.getoption("mockidp_run_args")), cwd=invoked)
    name = os.path.basename(profile)
    collector = ProfileSuite.from_parent(session, name=name, nodeid=name, suite=suite)
    # Through the collection hooks, as pytest collects a file: counted in "collected N items",
    # and a failed --list is a collection error naming the profile.
    report = session.ihook.pytest_make_collect_report(collector=collector)
    session.ihook.pytest_collectreport(report=report)
    if report.passed:
        items.extend(report.result)
