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
    # Drawn only while the campaign takes pledges, and never below what is already pledged: the
    # line runs from the running total to the deadline, it never drops (a "cliff").
    projecting = projection is not None and projection.method != "final" and campaign.is_open_for_pledges
    projected = None
    if projecting and projection is not None:
        reached = stats.days[-1].cumulative if stats.days else campaign.pledged
        projected = max(projection.projected_total, reached)
    data = {
        "currency": campaign.currency,
        "labels": [day.date.isoformat() for day in stats.days],
        "pledged": [str(day.pledged) for day in stats.days],
        "cumulative": [str(day.cumulative) for day in stats.days],
        "goal": str(campaign.money(campaign.goal)),
        "deadline": campaign.deadline.date().isoformat() if projecting and campaign.deadline else None,
        "projected": str(projected) if projected is not None else None,
    }
    return data, stats
