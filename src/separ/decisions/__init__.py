"""Decisions and accountability: the enforcement gate, the shield, the hash-chained audit
log, notices, appeals and Rabat assessments (tables of workspace migration 4)."""
