"""`warroom policy simulate` prints what the workflow does, and when: both turn the same loop
(warroom.loop.advance), one on a virtual clock, one on Temporal's. Here the same scenario runs on
the real dev server with the policy scaled (a minute becomes a second) and in the simulation, and
each action's time is compared: the simulation's instant it went out against the instant the
workflow recorded it done (its activity's latency apart)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from warroom.commands import AddNote, Declare
from warroom.simulate import Step, simulate

WINDOW_S = 36  # 36 policy minutes: pages, re-page, the first fifteen minutes, the SEV2 notice at 30m
MARGIN_S = 4  # actions this close to the window's end may fall either side of it
LATENCY_S = 2.5  # the workflow records an action once its activity has completed


def comparable(key: str) -> bool:
    return not key.startswith("channel:")  # channel posts batch timeline news: their numbers are not times


async def test_simulation_and_workflow_carry_out_the_same_actions_at_the_same_times(make_harness):
    async with make_harness() as h:
        incident = await h.declare("SEV2", actor="dana")
        await asyncio.sleep(12)
        await h.send(incident, AddNote(actor="carol", text="refunds queue at 40k"))
        await asyncio.sleep(WINDOW_S - 12)
        state = (await h.view(incident)).state
        start = state.severities[0].at
        noted = next(e.at for e in state.timeline if e.kind == "note")

        declare = Declare(actor="dana", title="Checkout failing", service="payments", severity="SEV2")
        scenario = [(step := Step(at=noted - start, event="note", actor="carol", text="refunds queue at 40k"),
                     step.command())]
        fired, _ = simulate(h.policy, declare, start, timedelta(seconds=WINDOW_S), scenario)

        simulated = {f.key: f.at_seconds for f in fired if comparable(f.key)}
        carried_out = {k: (d.at - start).total_seconds() for k, d in state.done.items() if comparable(k)}
        settled = WINDOW_S - MARGIN_S
        assert {k for k, t in simulated.items() if t < settled} == {k for k, t in carried_out.items() if t < settled}
        assert len(simulated) >= 8, simulated  # the scenario is not trivially empty
        for key, at in simulated.items():
            if at < settled:
                # the simulation prints whole seconds (it truncates), the workflow adds its latency
                assert at - 1 <= carried_out[key] <= at + 1 + LATENCY_S, (key, at, carried_out[key])
