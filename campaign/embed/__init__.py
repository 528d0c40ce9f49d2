"""The embeddable event finder (/embed/events) partner sites frame, and its allow-list."""
