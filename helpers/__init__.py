"""The input-importance kit's importable helpers."""
