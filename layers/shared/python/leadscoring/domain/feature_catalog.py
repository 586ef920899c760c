"""The default features a new tenant starts with: the spec's four families, with validation rules."""

from __future__ import annotations

from leadscoring.schemas.lead import FeatureFamily
from leadscoring.schemas.model import ScoringFeature, ValidationRule

B, D, F, E = FeatureFamily.BEHAVIORAL, FeatureFamily.DEMOGRAPHIC, FeatureFamily.FIRMOGRAPHIC, FeatureFamily.ENGAGEMENT

INDUSTRIES = ["software", "finance", "healthcare", "manufacturing", "retail", "education", "media", "other"]
SENIORITIES = ["entry", "manager", "director", "vp", "c_level"]
STAGES = ["startup", "growth", "enterprise"]
FUNDING = ["bootstrapped", "seed", "series_a", "series_b_plus", "public"]
MARKET_POSITIONS = ["leader", "challenger", "niche", "follower"]


def _num(name: str, family: FeatureFamily, lo: float | None = 0, hi: float | None = None, desc: str = "") -> ScoringFeature:
    rules = []
    if lo is not None:
        rules.append(ValidationRule(type="min", value=lo))
    if hi is not None:
        rules.append(ValidationRule(type="max", value=hi))
    return ScoringFeature(name=name, type="numerical", family=family, validation_rules=rules, description=desc)


def _cat(name: str, family: FeatureFamily, values: list[str] | None = None, pattern: str | None = None, desc: str = "") -> ScoringFeature:
    rules: list[ValidationRule] = []
    if values:
        rules.append(ValidationRule(type="allowed_values", value=values))
    if pattern:
        rules.append(ValidationRule(type="pattern", value=pattern))
    return ScoringFeature(name=name, type="categorical", family=family, validation_rules=rules, description=desc)


def _bool(name: str, family: FeatureFamily, desc: str = "") -> ScoringFeature:
    return ScoringFeature(name=name, type="boolean", family=family, description=desc)


def default_features() -> list[ScoringFeature]:
    return [
        _num("email_open_rate", B, 0, 1, "Share of marketing emails opened"),
        _num("email_click_rate", B, 0, 1, "Share of marketing emails clicked"),
        _num("email_response_rate", B, 0, 1, "Share of emails answered"),
        _num("page_views", B, 0, None, "Website page views"),
        _num("time_on_site_seconds", B, 0, None, "Total time on the website"),
        _num("bounce_rate", B, 0, 1, "Share of single-page visits"),
        _num("content_downloads", B, 0, None, "Whitepapers, e-books and the like downloaded"),
        _num("form_submissions", B, 0, None, "Forms submitted"),
        _num("video_views", B, 0, None, "Videos watched"),
        _num("social_engagements", B, 0, None, "Likes, shares and comments on social media"),
        _num("campaign_interactions", B, 0, None, "Interactions with email campaigns"),
        _num("company_size", D, 0, None, "Number of employees"),
        _cat("industry", D, INDUSTRIES, desc="Company industry"),
        _cat("country", D, pattern=r"^[A-Z]{2}$", desc="ISO 3166-1 alpha-2 country code"),
        _cat("job_seniority", D, SENIORITIES, desc="Seniority of the contact's role"),
        _num("company_revenue", D, 0, None, "Annual revenue in USD"),
        _bool("uses_marketing_automation", F, "Technology stack includes a marketing automation tool"),
        _cat("company_stage", F, STAGES, desc="Startup, growth or enterprise"),
        _cat("funding_status", F, FUNDING, desc="Latest funding"),
        _num("growth_rate", F, -100, 1000, "Year-on-year headcount growth, percent"),
        _cat("market_position", F, MARKET_POSITIONS, desc="Market position"),
        _num("response_time_hours", E, 0, None, "Median time to answer our messages"),
        _num("meeting_attendance_rate", E, 0, 1, "Share of booked meetings attended"),
        _num("content_consumption_minutes", E, 0, None, "Minutes spent on our content"),
        _num("support_interactions", E, 0, None, "Support tickets and chats"),
        _num("previous_purchases", E, 0, None, "Earlier purchases from us"),
    ]
