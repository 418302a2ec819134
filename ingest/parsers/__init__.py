"""One parser per source type, each returning the same Passage records."""
