"""People: who is in each workspace, as Slack last told us (docs/architecture.md)."""
