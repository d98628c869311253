"""The kernel: messages, settings, the dispatcher and its parts, the outbox; imports storage only."""
