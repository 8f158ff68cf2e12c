"""Validate JSON documents against one of MockIdP's JSON Schemas with the jsonschema package.

Usage: validate_schema.py SCHEMA FILE... -> {"FILE": null | "first error"}
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    results = {}
    for path in sys.argv[2:]:
        errors = sorted(validator.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
        results[path] = None if not errors else "%s: %s" % ("/".join(str(p) for p in errors[0].path), errors[0].message[:300])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
