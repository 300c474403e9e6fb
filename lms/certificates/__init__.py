"""Certificates: issued on completion, numbered per province and year, verifiable, revocable."""
