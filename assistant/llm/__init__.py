"""Optional language-model prose, checked in code against the passages it cites."""
