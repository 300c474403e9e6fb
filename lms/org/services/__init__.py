"""The org area's verbs: they validate, change rows, audit and flush; they never commit."""
