"""The notifier: claim, calendar, budget, snooze, render, post, mark sent, escalate (bot/notify/send.py)."""
