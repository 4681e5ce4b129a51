"""On the real dev server: a SEV1's first turn makes two mails due at once (the SEV1 notice and the
stakeholders' first update), and they leave as one deliver_batch activity. The mail server fails
one of them once: that one goes again alone, through the single `notify` activity and its retry
policy, and both end up delivered exactly once, neither recorded as failed."""

from __future__ import annotations

import json

import workers.main
from activities.channels import ChannelActivities
from tests.providers.test_delivery_batches import Mail
from tests.workflow.harness import Harness, new_settings, scaled
from warroom.actions import Keys
from workers.main import build_worker

NOTICE, STAKEHOLDERS = Keys.notify("SEV1"), "deliver:stakeholder:1"


class FailsOnce(Mail):
    async def notify(self, delivery) -> None:
        self.flaky = "" if delivery.action_key in self.calls else STAKEHOLDERS
        await super().notify(delivery)


async def test_a_turns_mails_go_as_one_batch_and_the_one_that_failed_goes_again_alone(
    temporal_env, tmp_path, monkeypatch
):
    built = workers.main.channels

    def channels(client, settings) -> ChannelActivities:
        real = built(client, settings)
        real.notifier = mail = FailsOnce(real.notifier.outbox)  # the outbox, as configured by default
        channels.mail = mail
        return real

    monkeypatch.setattr(workers.main, "channels", channels)
    client = temporal_env.client
    settings = new_settings(tmp_path, client)
    async with build_worker(client, settings):
        h = Harness(client=client, settings=settings, policy=scaled())
        incident = await h.declare("SEV1")
        view = await h.wait_view(incident, lambda v: {NOTICE, STAKEHOLDERS} <= set(v.state.done))
        history = await h.handle(incident).fetch_history()

    assert not view.state.done[NOTICE].failed and not view.state.done[STAKEHOLDERS].failed
    assert channels.mail.calls == [NOTICE, STAKEHOLDERS, STAKEHOLDERS]  # the second time alone
    assert {r.action_key for r in h.rows(incident) if r.channel == "email"} == {NOTICE, STAKEHOLDERS}
    scheduled = [(e.activity_task_scheduled_event_attributes.activity_type.name,
                  json.loads(e.activity_task_scheduled_event_attributes.input.payloads[0].data))
                 for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    batches = [[d["action_key"] for d in p["deliveries"]] for name, p in scheduled if name == "deliver_batch"]
    assert [NOTICE, STAKEHOLDERS] in batches
    assert [p["action_key"] for name, p in scheduled if name == "notify"] == [STAKEHOLDERS]
    assert not [e for e in view.state.timeline if e.kind == "delivery-failed"]
