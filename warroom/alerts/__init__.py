"""Alerts are not incidents (DESIGN.md): each source's webhook becomes an AlertBatch for one alert
group, and the group decides whether it opens, joins or leaves alone an incident."""
