"""Named staff accounts for the console, in the database every process shares (the review log's, ``REVIEW_DB_URL``).

One module per job: ``models`` (the tables of migration 0002), ``passwords`` (argon2 hashing), ``store`` (adding,
disabling, resetting and checking accounts), ``sessions`` (login sessions kept in the database, so that several
console processes accept each other's), ``keys`` (the device cookies' HMAC key, one per database) and ``__main__``
(the command line: ``python -m console.accounts add|disable|enable|reset|list``). The login rules that use them
(expiry, back-off, device cookies, proxies, the Origin check) are console/auth.py's.
"""
