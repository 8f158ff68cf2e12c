"""Read a JUnit XML report with junitparser (a standard JUnit reader) and print what it saw.

Usage: read_junit.py FILE -> {"suites": [{"name", "tests", "failures", "errors", "skipped",
"cases": [{"classname", "name", "result"}]}]}
"""
import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped


def main():
    xml = JUnitXml.fromfile(sys.argv[1])
    suites = []
    for suite in xml:
        cases = []
        for case in suite:
            kinds = [type(r).__name__.lower() for r in case.result if isinstance(r, (Failure, Error, Skipped))]
            cases.append({"classname": case.classname, "name": case.name, "result": kinds[0] if kinds else "pass",
                          "message": case.result[0].message if case.result else None})
        suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
                       "skipped": suite.skipped, "cases": cases})
    json.dump({"suites": suites}, sys.stdout)


if __name__ == "__main__":
    main()
