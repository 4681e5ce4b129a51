"""Which service and severity an alert belongs to, by the runbooks (R-SEV-5 when unclear)."""

from __future__ import annotations

from warroom.alerts.events import AlertEvent
from warroom.policy import Policy
from warroom.runbook import Runbook
from warroom.severity import Severity


def service_of(alert: AlertEvent, policy: Policy) -> str:
    """Named outright by the source, else the first runbook whose matchers hold, else the default."""
    if alert.service in policy.runbooks:
        return alert.service
    for name in sorted(policy.runbooks):
        if policy.runbooks[name].matches(alert.labels):
            return name
    return policy.rules.alerts.default_service or sorted(policy.runbooks)[0]


def severity_of(alert: AlertEvent, runbook: Runbook, policy: Policy) -> Severity:
    """SEV1..SEV4 as given, else the runbook's map of the source's word, else the policy default."""
    word = alert.severity or alert.labels.get(runbook.severity_label)
    if word:
        try:
            return Severity.parse(word)
        except ValueError:
            pass
        if word.lower() in runbook.severity_map:
            return runbook.severity_map[word.lower()]
    return policy.rules.alerts.default_severity
