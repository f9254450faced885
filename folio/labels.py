"""The words a book prints around its own structure, by language.

One table, so a German book says "Abbildung 3.2" and no template spells a word.
Languages are matched by their primary subtag (`de-AT` is `de`); English is the default.
"""
from __future__ import annotations

WORDS = {
    "en": {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "eq": ("Equation", "Equations"),
           "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "and", "chapter": "Chapter", "contents": "Contents",
           "glossary": "Glossary", "index": "Index", "bibliography": "Bibliography", "notes": "Notes"},
    "de": {"fig": ("Abbildung", "Abbildungen"), "tbl": ("Tabelle", "Tabellen"), "eq": ("Gleichung", "Gleichungen"),
           "sec": ("Abschnitt", "Abschnitte"), "lst": ("Listing", "Listings"), "and": "und", "chapter": "Kapitel", "contents": "Inhalt",
           "glossary": "Glossar", "index": "Register", "bibliography": "Literatur", "notes": "Anmerkungen"},
    "fr": {"fig": ("Figure", "Figures"), "tbl": ("Tableau", "Tableaux"), "eq": ("Équation", "Équations"),
           "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "et", "chapter": "Chapitre", "contents": "Table des matières",
           "glossary": "Glossaire", "index": "Index", "bibliography": "Bibliographie", "notes": "Notes"},
    "es": {"fig": ("Figura", "Figuras"), "tbl": ("Tabla", "Tablas"), "eq": ("Ecuación", "Ecuaciones"),
           "sec": ("Sección", "Secciones"), "lst": ("Listado", "Listados"), "and": "y", "chapter": "Capítulo", "contents": "Índice",
           "glossary": "Glosario", "index": "Índice alfabético", "bibliography": "Bibliografía", "notes": "Notas"},
}


def words(lang: str) -> dict:
    return WORDS.get((lang or "en").split("-")[0].lower(), WORDS["en"])
