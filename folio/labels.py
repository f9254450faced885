"""The words a book prints around its own structure, by language.

One table, so a German book says "Abbildung 3.2" and "Zurück zum Text", and no
template spells a word. Languages are matched by their primary subtag (`de-AT` is
`de`); English is the default. A phrase with `{name}` is filled in by the template.
"""
from __future__ import annotations

WORDS = {
    "en": {
        "fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "eq": ("Equation", "Equations"),
        "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "and",
        "chapter": "Chapter", "contents": "Contents", "glossary": "Glossary", "index": "Index",
        "bibliography": "Bibliography", "notes": "Notes",
        "list_of": {"fig": "List of Figures", "tbl": "List of Tables", "lst": "List of Listings"},
        "skip_link": "Skip to the text", "search": "Search", "search_book": "Search this book",
        "search_hint": "Type a word or phrase to search the book.",
        "search_none": "Nothing in the book matches “{query}”.",
        "search_one": "1 chapter matches “{query}”.", "search_many": "{count} chapters match “{query}”.",
        "search_needs_js": "Search needs JavaScript; the contents list reaches every chapter.",
        "untitled": "Untitled", "other_editions": "Other editions", "back_to_text": "Back to the text",
        "previous": "Previous", "next": "Next", "pager": "Previous and next", "title_page": "Title page",
        "cover": "Cover", "start_of_text": "Start of text", "landmarks": "Landmarks", "copyright": "Copyright",
        "editor_of": "{name}, editor", "read": "Read", "start_reading": "Start reading", "download": "Download",
        "about_edition": "About this edition", "published_by": "Published by {publisher}.",
        "identifier": "Identifier", "see": "See", "see_also": "See also", "used_in": "Used in", "used_on_pages": "Used on pages",
        "first_use": "First use", "also": "Also", "pages": "{count} pages",
        "pdf_screen": ("PDF", "for reading on screen"), "pdf_print": ("PDF for print", "with bleed, for printers"),
        "epub": ("EPUB", "for e-readers"),
        "colophon": "Set in {font}, a typeface by Frank Grießhammer for Adobe, released under the SIL Open Font "
                    "License. Made with folio from a Markdown manuscript, with pandoc, citeproc and WeasyPrint.",
        "screen_edition": "Screen edition.", "print_edition": "Print edition, {width} × {height}",
        "with_bleed": " with {bleed} bleed",
        "months": "January February March April May June July August September October November December",
        "date": "{day} {month} {year}",
    },
    "de": {
        "fig": ("Abbildung", "Abbildungen"), "tbl": ("Tabelle", "Tabellen"), "eq": ("Gleichung", "Gleichungen"),
        "sec": ("Abschnitt", "Abschnitte"), "lst": ("Listing", "Listings"), "and": "und",
        "chapter": "Kapitel", "contents": "Inhalt", "glossary": "Glossar", "index": "Register",
        "bibliography": "Literatur", "notes": "Anmerkungen",
        "list_of": {"fig": "Abbildungsverzeichnis", "tbl": "Tabellenverzeichnis", "lst": "Listingverzeichnis"},
        "skip_link": "Zum Text springen", "search": "Suche", "search_book": "In diesem Buch suchen",
        "search_hint": "Geben Sie ein Wort oder eine Wendung ein, um das Buch zu durchsuchen.",
        "search_none": "Nichts im Buch passt zu „{query}“.",
        "search_one": "1 Kapitel passt zu „{query}“.", "search_many": "{count} Kapitel passen zu „{query}“.",
        "search_needs_js": "Die Suche braucht JavaScript; das Inhaltsverzeichnis führt zu jedem Kapitel.",
        "untitled": "Ohne Titel", "other_editions": "Andere Ausgaben", "back_to_text": "Zurück zum Text",
        "previous": "Zurück", "next": "Weiter", "pager": "Zurück und weiter", "title_page": "Titelseite",
        "cover": "Umschlag", "start_of_text": "Textbeginn", "landmarks": "Orientierungspunkte",
        "copyright": "Impressum", "editor_of": "{name} (Hrsg.)", "read": "Lesen", "start_reading": "Lesen beginnen",
        "download": "Herunterladen", "about_edition": "Über diese Ausgabe",
        "published_by": "Erschienen bei {publisher}.", "identifier": "Kennung", "see": "Siehe",
        "see_also": "Siehe auch", "used_in": "Verwendet in", "used_on_pages": "Verwendet auf den Seiten", "first_use": "Erstbeleg", "also": "Auch", "pages": "{count} Seiten",
        "pdf_screen": ("PDF", "zum Lesen am Bildschirm"),
        "pdf_print": ("PDF für den Druck", "mit Beschnitt, für Druckereien"), "epub": ("EPUB", "für E-Reader"),
        "colophon": "Gesetzt aus der {font}, einer Schrift von Frank Grießhammer für Adobe, veröffentlicht unter "
                    "der SIL Open Font License. Hergestellt mit folio aus einem Markdown-Manuskript, mit pandoc, "
                    "citeproc und WeasyPrint.",
        "screen_edition": "Bildschirmausgabe.", "print_edition": "Druckausgabe, {width} × {height}",
        "with_bleed": " mit {bleed} Beschnitt",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "date": "{day}. {month} {year}",
    },
    "fr": {
        "fig": ("Figure", "Figures"), "tbl": ("Tableau", "Tableaux"), "eq": ("Équation", "Équations"),
        "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "et",
        "chapter": "Chapitre", "contents": "Table des matières", "glossary": "Glossaire", "index": "Index",
        "bibliography": "Bibliographie", "notes": "Notes",
        "list_of": {"fig": "Table des figures", "tbl": "Liste des tableaux", "lst": "Liste des listings"},
        "skip_link": "Aller au texte", "search": "Rechercher", "search_book": "Rechercher dans ce livre",
        "search_hint": "Saisissez un mot ou une expression pour chercher dans le livre.",
        "search_none": "Rien dans le livre ne correspond à « {query} ».",
        "search_one": "1 chapitre correspond à « {query} ».",
        "search_many": "{count} chapitres correspondent à « {query} ».",
        "search_needs_js": "La recherche a besoin de JavaScript ; la table des matières mène à chaque chapitre.",
        "untitled": "Sans titre", "other_editions": "Autres éditions", "back_to_text": "Retour au texte",
        "previous": "Précédent", "next": "Suivant", "pager": "Précédent et suivant", "title_page": "Page de titre",
        "cover": "Couverture", "start_of_text": "Début du texte", "landmarks": "Repères", "copyright": "Copyright",
        "editor_of": "{name} (dir.)", "read": "Lire", "start_reading": "Commencer la lecture",
        "download": "Télécharger", "about_edition": "À propos de cette édition",
        "published_by": "Publié par {publisher}.", "identifier": "Identifiant", "see": "Voir",
        "see_also": "Voir aussi", "used_in": "Employé dans", "used_on_pages": "Employé aux pages", "first_use": "Première attestation", "also": "Aussi", "pages": "{count} pages",
        "pdf_screen": ("PDF", "pour la lecture à l’écran"),
        "pdf_print": ("PDF pour l’impression", "avec fond perdu, pour l’imprimeur"),
        "epub": ("EPUB", "pour liseuses"),
        "colophon": "Composé en {font}, un caractère de Frank Grießhammer pour Adobe, publié sous la licence SIL "
                    "Open Font License. Réalisé avec folio à partir d’un manuscrit Markdown, avec pandoc, "
                    "citeproc et WeasyPrint.",
        "screen_edition": "Édition pour l’écran.", "print_edition": "Édition imprimée, {width} × {height}",
        "with_bleed": " avec {bleed} de fond perdu",
        "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "date": "{day} {month} {year}",
    },
    "es": {
        "fig": ("Figura", "Figuras"), "tbl": ("Tabla", "Tablas"), "eq": ("Ecuación", "Ecuaciones"),
        "sec": ("Sección", "Secciones"), "lst": ("Listado", "Listados"), "and": "y",
        "chapter": "Capítulo", "contents": "Índice", "glossary": "Glosario", "index": "Índice alfabético",
        "bibliography": "Bibliografía", "notes": "Notas",
        "list_of": {"fig": "Índice de figuras", "tbl": "Índice de tablas", "lst": "Índice de listados"},
        "skip_link": "Saltar al texto", "search": "Buscar", "search_book": "Buscar en este libro",
        "search_hint": "Escriba una palabra o una frase para buscar en el libro.",
        "search_none": "Nada en el libro coincide con «{query}».",
        "search_one": "1 capítulo coincide con «{query}».", "search_many": "{count} capítulos coinciden con «{query}».",
        "search_needs_js": "La búsqueda necesita JavaScript; el índice lleva a cada capítulo.",
        "untitled": "Sin título", "other_editions": "Otras ediciones", "back_to_text": "Volver al texto",
        "previous": "Anterior", "next": "Siguiente", "pager": "Anterior y siguiente", "title_page": "Portada",
        "cover": "Cubierta", "start_of_text": "Inicio del texto", "landmarks": "Puntos de referencia",
        "copyright": "Créditos", "editor_of": "{name} (ed.)", "read": "Leer", "start_reading": "Empezar a leer",
        "download": "Descargar", "about_edition": "Sobre esta edición", "published_by": "Publicado por {publisher}.",
        "identifier": "Identificador", "see": "Véase", "see_also": "Véase también", "used_in": "Usado en", "used_on_pages": "Usado en las páginas",
        "first_use": "Primer uso", "also": "También", "pages": "{count} páginas",
        "pdf_screen": ("PDF", "para leer en pantalla"), "pdf_print": ("PDF para imprenta", "con sangrado, para imprentas"),
        "epub": ("EPUB", "para lectores electrónicos"),
        "colophon": "Compuesto en {font}, un tipo de Frank Grießhammer para Adobe, publicado con la licencia SIL "
                    "Open Font License. Hecho con folio a partir de un manuscrito Markdown, con pandoc, citeproc "
                    "y WeasyPrint.",
        "screen_edition": "Edición para pantalla.", "print_edition": "Edición impresa, {width} × {height}",
        "with_bleed": " con {bleed} de sangrado",
        "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "date": "{day} de {month} de {year}",
    },
}


def words(lang: str) -> dict:
    return WORDS.get((lang or "en").split("-")[0].lower(), WORDS["en"])
