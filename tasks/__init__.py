"""The work of a newslake run, one package per stage: ingest → clean → nlp → aggregate, written through the
warehouse; records, schemas, ids, names and memory are shared by all (the README's Layout section)."""
