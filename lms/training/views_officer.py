"""Officers' and trainers' views of learning progress (being written)."""
