"""Campaigns: create, edit, launch, their running totals and state.

Beside the usual modules: ``images`` checks and re-encodes a campaign's uploaded picture
(called by the services and the studio's form).
"""
