"""ChannelArchiveWorkflow: archives a closed incident's channel when the policy says, so the
incident workflow can end at closing. Started detached (ParentClosePolicy.ABANDON)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import AwareDatetime, BaseModel, ConfigDict

    from activities.channels import ChannelActivities, ChannelPost
    from workflows.attempts import DELIVERY


class ArchiveLater(BaseModel):
    model_config = ConfigDict(frozen=True)
    post: ChannelPost
    at: AwareDatetime


@workflow.defn
class ChannelArchiveWorkflow:
    @workflow.run
    async def run(self, request: ArchiveLater) -> None:
        wait = request.at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait, summary=f"until {request.at:%Y-%m-%d %H:%M} UTC")
        await workflow.execute_activity_method(
            ChannelActivities.post_to_channel, request.post, summary="archive the channel", **DELIVERY,
        )
