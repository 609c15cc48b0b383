"""Statistics: functions that take frames and plain values and return tidy frames (no I/O)."""
