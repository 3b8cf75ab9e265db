"""The funding chart's numbers, shared by the campaign page and the creator's dashboard.

Sent to the page as JSON (json_script) and drawn by static/web/*-chart.js. Amounts are
decimal strings, as the stats API gives them.
"""

from campaigns.models import Campaign
from reports.stats import CampaignStats, campaign_stats


def funding_series(campaign: Campaign) -> tuple[dict | None, CampaignStats | None]:
    """Per UTC day: what was pledged and the running total; the goal, and while the campaign
    runs, the stats code's projection to the deadline. (None, None) before the launch."""
    if campaign.launched_at is None:
        return None, None
    stats = campaign_stats(campaign=campaign)
    projection = stats.projection
    projecting = projection is not None and projection.method != "final"
    data = {
        "currency": campaign.currency,
        "labels": [day.date.isoformat() for day in stats.days],
        "pledged": [str(day.pledged) for day in stats.days],
        "cumulative": [str(day.cumulative) for day in stats.days],
        "goal": str(campaign.money(campaign.goal)),
        "deadline": campaign.deadline.date().isoformat() if projecting and campaign.deadline else None,
        "projected": str(projection.projected_total) if projecting and projection else None,
    }
    return data, stats
