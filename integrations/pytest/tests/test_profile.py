"""`pytest --mockidp-profile` against MockIdP's reference app, correct and with a seeded bug, and
the fixture's life cycle, each in a pytest of its own (pytester, in a subprocess)."""
import os
import subprocess

from pytest_mockidp import find_binary


def listed(*arguments):
    """Scenario IDs as `mockidp run --list` prints them, read here independently of the plugin."""
    out = subprocess.run([find_binary(), "run", "--target", "reference-app", "--list", *arguments],
                         capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if "  — " in line]


def test_every_scenario_is_an_item_and_the_correct_app_passes_them(pytester):
    expected = listed("--filter", "first-login")
    assert expected
    result = pytester.runpytest_subprocess("--mockidp-profile", "reference-app", "--mockidp-run-args", "--filter first-login", "-v")
    result.assert_outcomes(passed=len(expected))
    for scenario in expected:
        result.stdout.fnmatch_lines([f"reference-app::{scenario} PASSED*"])


def test_not_applicable_scenarios_are_skipped_with_their_reason(pytester):
    expected = listed("--filter", "web-state")
    assert expected
    result = pytester.runpytest_subprocess("--mockidp-profile", "reference-app", "--mockidp-run-args", "--filter web-state", "-rs")
    result.assert_outcomes(skipped=len(expected))
    # The api-shaped reference app has no code flow: the runner's reason is the skip's.
    result.stdout.fnmatch_lines(["SKIPPED*not applicable: *code_flow*"])


def test_a_seeded_bug_fails_its_scenario_with_the_findings(pytester):
    result = pytester.runpytest_subprocess("--mockidp-profile", "reference-app",
                                           "--mockidp-run-args", "--filter token.wrong-issuer --app-arg=--bug=issuer-not-checked")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*token.wrong-issuer — A token from another issuer is rejected: fail",
        "fails when: A validly signed token from another issuer is not refused*",
        "*expected a refusal, but the user is signed in: 200*",
        "reproduce: mockidp run --target reference-app --app-arg=--bug=issuer-not-checked --filter token.wrong-issuer*",
        "FAILED reference-app::token.wrong-issuer*",
    ])
    assert result.ret == 1


def test_a_profile_file_is_read_relative_to_where_pytest_runs(pytester):
    profile = pytester.path / "mockidp.json"
    profile.write_text('{"name": "nothing-here", "base_url": "http://127.0.0.1:9", "callback": {"path": "/cb"}}')
    result = pytester.runpytest_subprocess("--mockidp-profile", "mockidp.json", "--mockidp-run-args", "--filter first-login.no-token")
    # Nothing listens there: the run cannot report, and the item says why instead of passing.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mockidp run exited 3 without a report*", "FAILED mockidp.json::first-login.no-token*"])


def test_a_profile_that_is_neither_a_file_nor_built_in_is_a_collection_error(pytester):
    result = pytester.runpytest_subprocess("--mockidp-profile", "nosuch.json")
    assert result.ret == 2  # interrupted: errors during collection
    result.stdout.fnmatch_lines(["mockidp run --list exited 2: *nosuch.json: no such file, and no built-in target profile*",
                                 "ERROR nosuch.json*"])


def test_a_filter_matching_nothing_collects_no_test(pytester):
    result = pytester.runpytest_subprocess("--mockidp-profile", "reference-app", "--mockidp-run-args", "--filter no-such-scenario")
    assert result.ret == 5  # pytest's "no tests collected", not a pass


def test_the_fixture_starts_one_mock_per_session_and_stops_it(pytester):
    pidfile = pytester.path / "pids.txt"
    pytester.makepyfile(f"""
        def test_one(mockidp):
            with open({str(pidfile)!r}, "a") as f:
                f.write(f"{{mockidp.process.pid}} {{mockidp.base_url}}\\n")

        def test_two(mockidp):
            test_one(mockidp)
    """)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2)
    lines = pidfile.read_text().splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    pid = int(lines[0].split()[0])
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, f"mockidp serve (pid {pid}) outlived the session"


def test_a_missing_binary_is_an_error_that_says_what_to_set(pytester, monkeypatch):
    monkeypatch.setenv("MOCKIDP_BIN", str(pytester.path / "no-such-mockidp"))
    pytester.makepyfile("def test_uses(mockidp):\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*MOCKIDP_BIN / --mockidp-bin names *no-such-mockidp*, which is not an executable file*"])
