"""WTForms for the org area (one module per screen group)."""
