"""What the local control plane remembers: the SQLite store, lifecycle rules, the event hub, resume."""
