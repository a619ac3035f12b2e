"""Start analytics: daily start counts, cookie-free page-view counters and the admin dashboard
(docs/decisions/0080-analytics-daily-rollup.md, docs/decisions/0081-cookie-free-view-counting.md)."""
