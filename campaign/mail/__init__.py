"""Mail: the outbox table, message rendering, and delivery backends."""
