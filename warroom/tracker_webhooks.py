"""The webhooks of Jira Cloud and Linear, as far as warroom reads them: did one of its issues move
between open and done, when, and by whom (warroom.tracker.Reported). Everything else they send
(other events, other fields) is accepted and ignored; a body that claims to be an issue update but
lacks what one has is refused, naming the field.

Jira Cloud (an admin webhook, event "Issue updated"): `webhookEvent: jira:issue_updated`,
`timestamp` (Unix ms), `user.displayName`, `issue: {id, key, fields: {status: {name,
statusCategory: {key: new|indeterminate|done}}}}`, `changelog: {items: [{field: status, fromString,
toString}]}`; the status moved when the changelog has an item of field `status`.

Linear (a webhook on the Issues data-change events): `action: update`, `type: Issue`, `data: {id,
identifier, url, updatedAt, state: {name, type}}`, `updatedFrom: {stateId, …}` (the previous values
of what changed), `actor.name`, `webhookTimestamp` (Unix ms, checked within a minute of now by
the gateway).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from warroom.tracker import Reported, TrackerKind, jira_state, linear_state

JIRA_ISSUE_UPDATED = "jira:issue_updated"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class JiraStatusCategory(_Body):
    key: str = Field(min_length=1, max_length=40)


class JiraStatus(_Body):
    name: str = Field(default="", max_length=255)
    statusCategory: JiraStatusCategory  # noqa: N815 - Jira's own field names


class JiraFields(_Body):
    status: JiraStatus


class JiraIssue(_Body):
    id: str = Field(pattern=r"^[0-9]{1,20}$")
    key: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*-[0-9]{1,12}$")
    fields: JiraFields


class JiraChange(_Body):
    field: str = ""


class JiraChangelog(_Body):
    items: tuple[JiraChange, ...] = ()


class JiraUser(_Body):
    displayName: str = Field(default="", max_length=200)  # noqa: N815


class JiraWebhook(_Body):
    timestamp: int = Field(gt=0)
    webhookEvent: str = Field(max_length=100)  # noqa: N815
    user: JiraUser | None = None
    issue: JiraIssue | None = None
    changelog: JiraChangelog | None = None

    @model_validator(mode="after")
    def _an_update_has_its_issue(self) -> JiraWebhook:
        if self.webhookEvent == JIRA_ISSUE_UPDATED and self.issue is None:
            raise ValueError("issue: required in a jira:issue_updated event")
        return self

    @property
    def at(self) -> datetime:
        return _from_ms(self.timestamp)

    def reported(self) -> Reported | None:
        """The issue's move, or None when this is no status change of an issue."""
        changes = self.changelog.items if self.changelog else ()
        if self.webhookEvent != JIRA_ISSUE_UPDATED or self.issue is None or not any(
                c.field == "status" for c in changes):
            return None
        return Reported(
            kind=TrackerKind.jira, issue_id=self.issue.id, key=self.issue.key,
            state=jira_state(self.issue.fields.status.statusCategory.key), at=self.at,
            by=self.user.displayName if self.user else "",
        )


class LinearState(_Body):
    type: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)


class LinearIssue(_Body):
    id: str = Field(pattern=_UUID)
    identifier: str = Field(min_length=1, max_length=100)
    state: LinearState
    updatedAt: AwareDatetime | None = None  # noqa: N815


class LinearActor(_Body):
    name: str = Field(default="", max_length=200)


class LinearWebhook(_Body):
    action: str = Field(max_length=40)
    type: str = Field(max_length=60)
    data: dict[str, Any]
    updatedFrom: dict[str, Any] | None = None  # noqa: N815
    actor: LinearActor | None = None
    webhookTimestamp: int = Field(gt=0)  # noqa: N815

    issue: LinearIssue | None = None  # `data`, read as an issue when `type` is Issue

    @model_validator(mode="before")
    @classmethod
    def _issue(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("type") == "Issue" and isinstance(value.get("data"), dict):
            return {**value, "issue": value["data"]}
        return value

    @property
    def sent_at(self) -> datetime:
        return _from_ms(self.webhookTimestamp)

    def reported(self) -> Reported | None:
        """The issue's move, or None when this is no state change of an issue."""
        if self.issue is None or self.action != "update" or "stateId" not in (self.updatedFrom or {}):
            return None
        return Reported(
            kind=TrackerKind.linear, issue_id=self.issue.id.lower(), key=self.issue.identifier,
            state=linear_state(self.issue.state.type),
            at=self.issue.updatedAt or self.sent_at, by=self.actor.name if self.actor else "",
        )
