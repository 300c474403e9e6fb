"""Enrollment, online learning progress, completion (classes, deadlines and reminders come later)."""
