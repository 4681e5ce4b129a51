"""The door to Temporal: the only code outside workflows/ and workers/ that names a workflow or
holds a client. Front-ends (CLI, chat, the gateway) and the activities that need a client go
through it; it imports nothing from them.

    connection  connecting by Temporal's own convention, the search attributes, Unavailable
    board       search attributes, memo and details: the Temporal UI as the operator's board
    incidents   declare, command, preview, view, list: one IncidentWorkflow per incident
    items       action items: one ActionItemWorkflow each
    alerts      one signal-with-start per webhook request to its AlertGroupWorkflow
    statuspage  the built-in public status page (StatusPageWorkflow)
    report      the report's facts from visibility

Submodules are imported by name (`from warroom.temporal.incidents import declare`): this file
imports none of them, so a workflow can use `board` without loading the rest.
"""
