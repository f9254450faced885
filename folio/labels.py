"""The words a book prints around its own structure, by language.

One table, so a German book says "Abbildung 3.2" and no template spells a word.
Languages are matched by their primary subtag (`de-AT` is `de`); English is the default.
"""
from __future__ import annotations

WORDS = {
    "en": {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "eq": ("Equation", "Equations"),
           "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "and", "chapter": "Chapter", "contents": "Contents",
           "glossary": "Glossary", "index": "Index", "bibliography": "Bibliography", "notes": "Notes",
           "list_of": {"fig": "List of Figures", "tbl": "List of Tables", "lst": "List of Listings"}},
    "de": {"fig": ("Abbildung", "Abbildungen"), "tbl": ("Tabelle", "Tabellen"), "eq": ("Gleichung", "Gleichungen"),
           "sec": ("Abschnitt", "Abschnitte"), "lst": ("Listing", "Listings"), "and": "und", "chapter": "Kapitel", "contents": "Inhalt",
           "glossary": "Glossar", "index": "Register", "bibliography": "Literatur", "notes": "Anmerkungen",
           "list_of": {"fig": "Abbildungsverzeichnis", "tbl": "Tabellenverzeichnis", "lst": "Listingverzeichnis"}},
    "fr": {"fig": ("Figure", "Figures"), "tbl": ("Tableau", "Tableaux"), "eq": ("Équation", "Équations"),
           "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "et", "chapter": "Chapitre", "contents": "Table des matières",
           "glossary": "Glossaire", "index": "Index", "bibliography": "Bibliographie", "notes": "Notes",
           "list_of": {"fig": "Table des figures", "tbl": "Liste des tableaux", "lst": "Liste des listings"}},
    "es": {"fig": ("Figura", "Figuras"), "tbl": ("Tabla", "Tablas"), "eq": ("Ecuación", "Ecuaciones"),
           "sec": ("Sección", "Secciones"), "lst": ("Listado", "Listados"), "and": "y", "chapter": "Capítulo", "contents": "Índice",
           "glossary": "Glosario", "index": "Índice alfabético", "bibliography": "Bibliografía", "notes": "Notas",
           "list_of": {"fig": "Índice de figuras", "tbl": "Índice de tablas", "lst": "Índice de listados"}},
}


def words(lang: str) -> dict:
    return WORDS.get((lang or "en").split("-")[0].lower(), WORDS["en"])
