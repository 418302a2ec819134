"""Who is asking and what they may see: users, the audit log, feedback and uploads."""
