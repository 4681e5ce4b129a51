"""Temporal workflows: deterministic and thin; the rules live in warroom.brain."""
