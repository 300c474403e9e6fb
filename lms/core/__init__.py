"""What every area may use; imports no area."""
