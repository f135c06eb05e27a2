"""Clean: raw records → clean articles (text without captions, credits and "You May Also Like" blocks; title, authors,
dates, language). ``article`` cleans one record, ``htmlpage`` extracts an HTML page, ``textdump`` a scraped text
dump, both with the line rules of ``lines`` and the byline rules of ``bylines``."""

from tasks.clean.article import MAX_BODY_CHARS, clean_record, clean_records, clean_task, parse_published

__all__ = [
    "MAX_BODY_CHARS",
    "clean_record",
    "clean_records",
    "clean_task",
    "parse_published",
]
