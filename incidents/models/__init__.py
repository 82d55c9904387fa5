"""Incidents' models, one module per concept: ``incidents`` (incidents, alerts, the timeline),
``integrations`` (integrations and the inbox of accepted payloads), ``escalation`` (policies
and steps) and ``maintenance`` (service maintenance windows). All of them are importable from
here, as Django expects of an app's models."""

from incidents.models.escalation import EscalationPolicy, EscalationStep
from incidents.models.incidents import (
    TITLE_MAX_LENGTH,
    Alert,
    DigestField,
    Incident,
    IncidentEvent,
    Severity,
    key_digest,
)
from incidents.models.integrations import (
    DEFAULT_SEVERITY_MAP,
    TOKEN_PREFIX_LENGTH,
    InboxPayload,
    Integration,
    default_severity_map,
    hash_token,
)
from incidents.models.maintenance import MaintenanceWindow

__all__ = [
    "DEFAULT_SEVERITY_MAP",
    "TITLE_MAX_LENGTH",
    "TOKEN_PREFIX_LENGTH",
    "Alert",
    "DigestField",
    "EscalationPolicy",
    "EscalationStep",
    "InboxPayload",
    "Incident",
    "IncidentEvent",
    "Integration",
    "MaintenanceWindow",
    "Severity",
    "default_severity_map",
    "hash_token",
    "key_digest",
]
