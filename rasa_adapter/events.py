"""Reading stored events back: Rasa finds an event's class by walking every
Event subclass, for each event it reads; here the class is remembered per
type name."""

from __future__ import annotations

from rasa.shared.core.events import Event

_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


def resolve_event_class(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, remembered for the classes it finds."""
    if type_name not in _event_classes:
        found = _rasa_resolve_by_type(type_name, default)
        if found is None or found is default:
            return found
        _event_classes[type_name] = found
    return _event_classes[type_name]


def apply() -> None:
    Event.resolve_by_type = staticmethod(resolve_event_class)
