"""The 6-month rule: each membership's deadline and status, the reminders, the work lists of the overdue."""
