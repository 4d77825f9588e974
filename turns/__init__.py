"""Turn handling, shared by every channel: the checks around a person's
message (turns.messages), the bounds on what a channel accepts (turns.limits),
and the reply when part of the service fails during a turn (turns.fallback)."""
