"""Chat front-ends (Slack, Mattermost): thin parsers over the same CLI grammar and command layer."""
