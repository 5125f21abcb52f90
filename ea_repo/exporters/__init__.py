"""Exporters: the repository written in other tools' formats (ArchiMate exchange files)."""
