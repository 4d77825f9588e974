"""The clinic's contact details, from the environment (see .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    booking_url: str
    # Which emergency number and same-day route every reply uses (data/knowledge/regions.yml).
    region: str


def clinic_from_environment() -> Clinic:
    return Clinic(
        name=os.environ.get("CLINIC_NAME", "the clinic"),
        phone=os.environ.get("CLINIC_PHONE", "(555) 010-0100"),
        booking_url=os.environ.get("CLINIC_BOOKING_URL", "https://clinic.example/book"),
        region=os.environ.get("CLINIC_REGION", "us").strip().lower() or "us",
    )
