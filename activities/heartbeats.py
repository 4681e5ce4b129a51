"""What a heartbeat monitor does outside its workflow: send its alert, firing or resolved, into
the alert-group path a real alert takes, through the Door the worker hands it (workflows do not
signal other workflows' ids themselves here: the group is started by the same signal-with-start
as the gateway's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from warroom.alerts import heartbeat
from warroom.config_file import Heartbeat
from warroom.policy import Policy

if TYPE_CHECKING:
    from warroom.temporal.door import Door


class HeartbeatAlert(BaseModel):
    model_config = ConfigDict(frozen=True)
    monitor: Heartbeat
    status: Literal["firing", "resolved"]
    policy: Policy  # the monitor's service's: the alert group (and its incident) run under it


class HeartbeatActivities:
    def __init__(self, door: Door):
        self.door = door

    @activity.defn(name="heartbeat_alert")
    async def alert(self, request: HeartbeatAlert) -> str:
        """Signal-with-start the monitor's alert group; a retry re-sends the same status, which
        the group folds in as a re-send (nothing twice). Returns the group's workflow id."""
        batch = heartbeat.alert(request.monitor, request.status)
        await self.door.alert(batch, request.policy)
        return batch.group_id

    def all(self) -> list:
        return [self.alert]
