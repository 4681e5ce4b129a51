"""Atlassian Statuspage REST API v1 (https://developer.statuspage.io/): one Statuspage incident per
warroom incident, `Authorization: OAuth <api key>`.

publish(update):
  1. find this warroom incident's Statuspage incident: GET {base}/v1/pages/{page}/incidents/unresolved,
     then (a retried resolution, a reopened incident) GET …/incidents?q=INC-XXXXX; it matches by
     the name prefix `[INC-XXXXX]` or by metadata.warroom.incident_id;
  2. found, and its latest update already has this status and body: done (a retried publish
     whose first attempt got through but whose answer was lost);
  3. found: PATCH …/incidents/{id} {incident: {status, body, components, component_ids}};
  4. else: POST …/incidents {incident: {name, status, body, components, component_ids, metadata}}.
So a retried publish never opens a second incident nor posts the same update twice.

Component names (runbooks' `components`) map to Statuspage component ids through the config;
unmapped names are left out, with a warning. Statuspage signals rate limits with 420 or 429;
both are retried.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from activities import http
from activities.channels import StatusPage
from warroom.config_file import AtlassianConfig, SecretRef
from warroom.publicpage import PublicUpdate

PROVIDER = "statuspage"
RATE_LIMITED = (420,)
NAME_MAX = 255


def name_prefix(incident_id: str) -> str:
    return f"[{incident_id}]"


def matches(incident: Any, incident_id: str) -> bool:
    if not isinstance(incident, dict):
        return False
    if str(incident.get("name", "")).startswith(name_prefix(incident_id)):
        return True
    metadata = incident.get("metadata") or {}
    warroom = metadata.get("warroom") if isinstance(metadata, dict) else None
    return isinstance(warroom, dict) and warroom.get("incident_id") == incident_id


class AtlassianStatuspage(StatusPage):
    def __init__(
        self,
        api_key: SecretRef,
        page_id: str,
        base_url: str = "https://api.statuspage.io",
        components: dict[str, str] | None = None,
        deliver_notifications: bool = True,
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.api_key, self.page_id, self.base_url = api_key, page_id, base_url.rstrip("/")
        self.components, self.deliver_notifications = dict(components or {}), deliver_notifications
        self.timeout, self.client = timeout, client

    @classmethod
    def from_config(cls, config: AtlassianConfig) -> AtlassianStatuspage:
        return cls(
            config.api_key, config.page_id, config.base_url, config.components, config.deliver_notifications,
            config.timeout_seconds,
        )

    @property
    def incidents_url(self) -> str:
        return f"{self.base_url}/v1/pages/{self.page_id}/incidents"

    async def _call(self, key: str, method: str, url: str, **kwargs: Any) -> Any:
        response = await http.request(
            self.client, method, url, PROVIDER, secrets=[key], also_retryable=RATE_LIMITED, timeout=self.timeout,
            headers={"Authorization": f"OAuth {key}"}, **kwargs,
        )
        return http.json_of(response, PROVIDER)

    def _components(self, update: PublicUpdate) -> dict[str, str]:
        mapped = {}
        for name, status in update.components.items():
            component_id = self.components.get(name)
            if component_id is None:
                http.warn(f"{PROVIDER}: component {name!r} has no Statuspage id in warroom.yaml; left out")
                continue
            mapped[component_id] = status.value
        return mapped

    async def find(self, key: str, incident_id: str) -> dict | None:
        unresolved = await self._call(key, "GET", f"{self.incidents_url}/unresolved")
        for incident in unresolved if isinstance(unresolved, list) else []:
            if matches(incident, incident_id):
                return incident
        found = await self._call(key, "GET", self.incidents_url, params={"q": incident_id, "limit": 100})
        for incident in found if isinstance(found, list) else []:
            if matches(incident, incident_id):
                return incident
        return None

    async def publish(self, update: PublicUpdate) -> None:
        key = self.api_key.value()
        if key is None:
            raise http.rejected(f"{PROVIDER}: ${self.api_key.env} (the API key) is not set on the worker")
        components = self._components(update)
        fields: dict[str, Any] = {
            "status": update.status.value,
            "body": update.body,
            "components": components,
            "component_ids": list(components),
            "deliver_notifications": self.deliver_notifications,
        }
        existing = await self.find(key, update.incident_id)
        if existing is None:
            fields["name"] = f"{name_prefix(update.incident_id)} {update.title}"[:NAME_MAX]
            fields["metadata"] = {"warroom": {"incident_id": update.incident_id}}
            await self._call(key, "POST", self.incidents_url, json={"incident": fields})
            return
        if _already_posted(existing, update):
            return
        await self._call(key, "PATCH", f"{self.incidents_url}/{existing['id']}", json={"incident": fields})


def _already_posted(incident: dict, update: PublicUpdate) -> bool:
    """The incident's latest update (Statuspage lists them newest first) is this one."""
    posted = [u for u in incident.get("incident_updates") or [] if isinstance(u, dict)]
    if not posted:
        return False
    try:
        latest = max(posted, key=lambda u: datetime.fromisoformat(u["created_at"]))
    except (KeyError, TypeError, ValueError):
        latest = posted[0]
    return latest.get("status") == update.status.value and latest.get("body") == update.body
