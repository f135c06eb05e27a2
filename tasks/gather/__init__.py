"""Gather: news newslake fetches itself. ``sources`` reads the registry of feeds, sitemaps and URL lists, ``listings``
reads what each lists, ``fetch`` asks the web politely, ``poll`` keeps every response as a web archive in the
warehouse's raw area (``archive`` writes the records), which the ingest stage then reads like any other input."""
