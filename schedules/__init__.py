"""Scheduled jobs: the scheduler (one per bot, leader-elected), its jobs, time phrases and the honour-list picture."""
