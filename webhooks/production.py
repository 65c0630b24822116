"""Whether this process is production (anything beyond SQLite, in-process jobs and no public URL), and what it
requires: the app, the worker and the clock each refuse here rather than run with a guessable secret or the demo."""

from __future__ import annotations

from storage.secret_key import PREVIOUS_SETTING, SECRET_SETTING, parse_previous, secret_problem
from storage.settings import Settings

MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class ProductionRefused(RuntimeError):
    """Production settings that must change before Assay starts; the message never holds a secret."""


def production_signs(settings: Settings) -> list[str]:
    """The settings that make this production; empty for the embedded default."""
    signs = []
    if not settings.database_url.startswith("sqlite"):
        signs.append("DATABASE_URL is not SQLite")
    if settings.redis_url:
        signs.append("REDIS_URL is set")
    if settings.public_url:
        signs.append("ASSAY_PUBLIC_URL is set")
    return signs


def is_production(settings: Settings) -> bool:
    return bool(production_signs(settings))


def production_problems(settings: Settings) -> list[str]:
    """Every reason production can't start with these settings, each naming its setting and the rule."""
    problems = []
    secret = settings.secret_key or ""
    if not secret:
        problems.append(f"{SECRET_SETTING} must be set to at least 32 random characters (make one: {MAKE_ONE})")
    elif problem := secret_problem(secret):
        problems.append(f"{SECRET_SETTING} {problem} (make one: {MAKE_ONE})")
    for position, previous in enumerate(parse_previous(settings.secret_key_previous), start=1):
        if problem := secret_problem(previous):
            problems.append(f"{PREVIOUS_SETTING} key {position} {problem}: a weak old key still signs")
    if settings.demo:
        problems.append("ASSAY_DEMO must be off: it signs every visitor in to the demo store")
    return problems


def check_production(settings: Settings) -> None:
    """Raise ProductionRefused when this is production and its settings aren't fit for it."""
    signs = production_signs(settings)
    problems = production_problems(settings) if signs else []
    if problems:
        raise ProductionRefused(f"Assay refuses to start in production ({', '.join(signs)}): " + "; ".join(problems))
