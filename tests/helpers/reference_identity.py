"""The identity algorithm of tests/fixtures/reference_engine/README.md, in Python, for generative tests.

Reads a JSON list of {tenant_id, check_id, scope, issue_key} on stdin and writes, for each, the canonical
JSON, the fingerprint and the issue key as the reference renders it (canonical JSON of its str(v).strip() values). Python's own str() and
json.dumps do the work, so the JavaScript engine is compared with what Python really writes.
"""
import hashlib
import json
import sys

SCOPE_LOGICAL = ["cloud", "billing_account_id", "account_id", "region", "service", "resource_type"]
SCOPE_CASED = ["resource_id", "resource_arn"]


def normalize(value, logical):
    text = "" if value is None else str(value).strip()
    return text.lower() if logical else text


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def identify(case):
    scope = case.get("scope") or {}
    key = {}
    for field in SCOPE_LOGICAL:
        key[field] = normalize(scope.get(field), True)
    for field in SCOPE_CASED:
        key[field] = normalize(scope.get(field), False)
    issue = {}
    for name, value in (case.get("issue_key") or {}).items():
        issue[normalize(name, True)] = normalize(value, False)
    text = canonical(
        {
            "tenant_id": normalize(case["tenant_id"], True),
            "check_id": normalize(case["check_id"], True),
            "scope": key,
            "issue": issue,
        }
    )
    return {
        "canonical_json": text,
        "fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "issue": canonical(issue),
    }


cases = json.loads(sys.stdin.buffer.read().decode("utf-8"))
out = json.dumps([identify(case) for case in cases], ensure_ascii=False)
sys.stdout.buffer.write(out.encode("utf-8"))
