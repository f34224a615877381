"""Validate a new AgentCore CLI project file against the published JSON schema.

Usage: python validate_agentcore_json.py SCHEMA DOCUMENT
Prints one line per violation (its JSON path and message) and exits 1 when there is any, 0
when the document is valid.

The schema is draft-07 with ECMA-262 regular expressions (`\\p{L}` in tag patterns), which
Python's `re` does not read: its `pattern` keyword is checked with the `regex` module, which
does, and the schema itself against the draft-07 meta-schema without the `regex` format check
(the same `re` limit).
"""

import json
import sys

import jsonschema
import regex


def ecma_pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def main():
    schema_path, document_path = sys.argv[1:3]
    with open(schema_path, encoding="utf-8") as file:
        schema = json.load(file)
    with open(document_path, encoding="utf-8") as file:
        document = json.load(file)
    meta = jsonschema.Draft7Validator(jsonschema.Draft7Validator.META_SCHEMA)
    problems = [f"schema: {error.message}" for error in meta.iter_errors(schema)]
    Validator = jsonschema.validators.extend(
        jsonschema.Draft7Validator, {"pattern": ecma_pattern}
    )
    for error in Validator(schema).iter_errors(document):
        problems.append(f"{error.json_path}: {error.message}")
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
