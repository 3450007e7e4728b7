"""The template's own proof, which a generated service leaves behind (template/README.md)."""
