"""The one exception of the command layer: a command that would break a rule."""


class Refused(Exception):
    """A command that would break a rule; the message says which and why."""
