"""The default catalogue of grant directions (codes are ours; see shared DOMAIN.md)."""

from __future__ import annotations

DIRECTIONS: dict[str, str] = {
    "social-services": "Social services, support and protection of citizens",
    "health": "Health and healthy lifestyles",
    "family": "Support of family, motherhood, fatherhood and childhood",
    "youth": "Youth projects",
    "education": "Science, education, enlightenment",
    "culture": "Culture and art",
    "memory": "Historical memory",
    "rights": "Human rights and freedoms",
    "environment": "Environment and animal protection",
    "harmony": "Interethnic and interreligious harmony",
    "diplomacy": "Public diplomacy and compatriots",
    "civil-society": "Development of civil-society institutions",
}
