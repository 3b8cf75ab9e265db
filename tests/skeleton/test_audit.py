from devstack.audit import verdict


def test_a_known_vulnerability_fails_the_audit():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1"}, {"id": "GHSA-x"}]},
            {"name": "celery", "version": "5.5.0", "vulns": []},
        ]
    }

    assert verdict(report) == (1, "audit: known vulnerabilities\ndjango 5.2.0: PYSEC-2025-1, GHSA-x")


def test_an_audit_that_could_not_look_says_so_and_passes():
    report = {"dependencies": [{"name": "django", "skip_reason": "not found"}, {"name": "rich", "skip_reason": "x"}]}

    assert verdict(report) == (0, "audit skipped: no vulnerability data could be reached for the 2 pinned packages")


def test_a_clean_audit_counts_what_it_looked_at():
    report = {"dependencies": [{"name": "django", "vulns": []}, {"name": "rich", "skip_reason": "x"}]}

    assert verdict(report) == (0, "audit: 1 pinned packages, no known vulnerability (1 could not be looked up)")
