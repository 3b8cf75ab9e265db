"""Backer and platform reports, exports and funding statistics.

``services`` holds the writes (exports built in the background). The reports are reads,
each in its own module: ``backers`` (a campaign's backer report), ``platform`` (the staff's
platform report), ``stats`` (funding per day and a projection), ``reconcile`` (do totals,
charges and the provider agree); ``selectors`` the small queries of the API and the admin.
``writers`` turns a report into CSV or XLSX and ``responses`` into an HTTP download.
"""
