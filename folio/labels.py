"""The words a book prints around its own structure, by language.

One table, so a German book says "Abbildung 3.2" and "Zurück zum Text", and no
template spells a word. Languages are matched by their primary subtag (`de-AT` is
`de`), but for a variant with words of its own (`pt-BR`); English is the default. A
phrase with `{name}` is filled in by the template.
"""
from __future__ import annotations

import re

WORDS = {
    "en": {
        "fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "eq": ("Equation", "Equations"),
        "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "and", "colon": ":",
        "chapter": "Chapter",
        "callout": {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
                    "warning": "Warning", "caution": "Caution", "danger": "Danger"},
        "note": "note", "chap": ("Chapter", "Chapters"), "appendix": "Appendix", "app": ("Appendix", "Appendices"),
        "contents": "Contents", "glossary": "Glossary", "index": "Index",
        "bibliography": "Bibliography", "notes": "Notes", "abstract": "Abstract",
        "list_of": {"fig": "List of Figures", "tbl": "List of Tables", "lst": "List of Listings"},
        "skip_link": "Skip to the text", "search": "Search", "search_book": "Search this book",
        "search_hint": "Type a word or phrase to search the book.",
        "search_none": "Nothing in the book matches “{query}”.",
        "search_one": "1 chapter matches “{query}”.", "search_many": "{count} chapters match “{query}”.",
        "search_needs_js": "Search needs JavaScript; the contents list reaches every chapter.",
        "untitled": "Untitled", "other_editions": "Other editions", "back_to_text": "Back to the text",
        "previous": "Previous", "next": "Next", "pager": "Previous and next", "title_page": "Title page",
        "cover": "Cover", "start_of_text": "Start of text", "landmarks": "Landmarks", "copyright": "Copyright",
        "editor_of": "Edited by {name}", "read": "Read", "start_reading": "Start reading", "download": "Download",
        "about_edition": "About this edition", "published_by": "Published by {publisher}.",
        "identifier": "Identifier", "see": "See", "see_also": "See also", "used_in": "Used in", "used_on_pages": "Used on pages", "used_on_page": "Used on page",
        "first_use": "First use", "also": "Also", "pages": "{count} pages",
        "on_this_page": "On this page", "section_link": "Link to this section: {title}",
        "dark_mode": "Dark mode", "needed_since": "This claim has needed a source since {date}",
        "not_found_title": "Page not found", "not_found": "This page is not in the book. It begins here:",
        "pdf_screen": ("PDF", "for reading on screen"), "pdf_print": ("PDF for print", "with bleed, for printers"),
        "epub": ("EPUB", "for e-readers"),
        "colophon": "Set in {font}, a typeface by Frank Grießhammer for Adobe, released under the SIL Open Font "
                    "License. Made with folio from a Markdown manuscript, with pandoc, citeproc and WeasyPrint.",
        "screen_edition": "Screen edition.", "page_size": "Pages of {width} × {height}.", "print_edition": "Print edition, {width} × {height}",
        "with_bleed": " with {bleed} bleed",
        "page_list": "Pages of the print edition",
        "isbn_print": "ISBN {isbn} (paperback)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "January February March April May June July August September October November December",
        "date": "{day} {month} {year}",
    },
    "de": {
        "fig": ("Abbildung", "Abbildungen"), "tbl": ("Tabelle", "Tabellen"), "eq": ("Gleichung", "Gleichungen"),
        "sec": ("Abschnitt", "Abschnitte"), "lst": ("Listing", "Listings"), "and": "und", "colon": ":",
        "chapter": "Kapitel",
        "callout": {"note": "Hinweis", "tip": "Tipp", "hint": "Tipp", "important": "Wichtig",
                    "warning": "Warnung", "caution": "Vorsicht", "danger": "Gefahr"},
        "note": "Anmerkung", "chap": ("Kapitel", "Kapitel"), "appendix": "Anhang", "app": ("Anhang", "Anhänge"),
        "contents": "Inhalt", "glossary": "Glossar", "index": "Register",
        "bibliography": "Literatur", "notes": "Anmerkungen", "abstract": "Zusammenfassung",
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
        "see_also": "Siehe auch", "used_in": "Verwendet in", "used_on_pages": "Verwendet auf den Seiten", "used_on_page": "Verwendet auf Seite",
        "first_use": "Erstbeleg", "also": "Auch", "pages": "{count} Seiten",
        "on_this_page": "Auf dieser Seite", "section_link": "Link zu diesem Abschnitt: {title}",
        "dark_mode": "Dunkler Modus", "needed_since": "Diese Aussage braucht seit {date} einen Beleg",
        "not_found_title": "Seite nicht gefunden", "not_found": "Diese Seite gibt es im Buch nicht. Es beginnt hier:",
        "pdf_screen": ("PDF", "zum Lesen am Bildschirm"),
        "pdf_print": ("PDF für den Druck", "mit Beschnitt, für Druckereien"), "epub": ("EPUB", "für E-Reader"),
        "colophon": "Gesetzt aus der {font}, einer Schrift von Frank Grießhammer für Adobe, veröffentlicht unter "
                    "der SIL Open Font License. Hergestellt mit folio aus einem Markdown-Manuskript, mit pandoc, "
                    "citeproc und WeasyPrint.",
        "screen_edition": "Bildschirmausgabe.", "page_size": "Seitenformat {width} × {height}.", "print_edition": "Druckausgabe, {width} × {height}",
        "with_bleed": " mit {bleed} Beschnitt",
        "page_list": "Seiten der Druckausgabe",
        "isbn_print": "ISBN {isbn} (Taschenbuch)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "date": "{day}. {month} {year}",
    },
    "fr": {
        "fig": ("Figure", "Figures"), "tbl": ("Tableau", "Tableaux"), "eq": ("Équation", "Équations"),
        "sec": ("Section", "Sections"), "lst": ("Listing", "Listings"), "and": "et", "colon": "\u00a0:",
        "chapter": "Chapitre",
        "callout": {"note": "Note", "tip": "Astuce", "hint": "Indice", "important": "Important",
                    "warning": "Avertissement", "caution": "Attention", "danger": "Danger"},
        "note": "note", "chap": ("Chapitre", "Chapitres"), "appendix": "Annexe", "app": ("Annexe", "Annexes"),
        "contents": "Table des matières", "glossary": "Glossaire", "index": "Index",
        "bibliography": "Bibliographie", "notes": "Notes", "abstract": "Résumé",
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
        "see_also": "Voir aussi", "used_in": "Employé dans", "used_on_pages": "Employé aux pages", "used_on_page": "Employé à la page",
        "first_use": "Première attestation", "also": "Aussi", "pages": "{count} pages",
        "on_this_page": "Sur cette page", "section_link": "Lien vers cette section : {title}",
        "dark_mode": "Mode sombre", "needed_since": "Cette affirmation attend une source depuis {date}",
        "not_found_title": "Page introuvable", "not_found": "Cette page n’est pas dans le livre. Il commence ici :",
        "pdf_screen": ("PDF", "pour la lecture à l’écran"),
        "pdf_print": ("PDF pour l’impression", "avec fond perdu, pour l’imprimeur"),
        "epub": ("EPUB", "pour liseuses"),
        "colophon": "Composé en {font}, un caractère de Frank Grießhammer pour Adobe, publié sous la licence SIL "
                    "Open Font License. Réalisé avec folio à partir d’un manuscrit Markdown, avec pandoc, "
                    "citeproc et WeasyPrint.",
        "screen_edition": "Édition pour l’écran.", "page_size": "Format des pages {width} × {height}.", "print_edition": "Édition imprimée, {width} × {height}",
        "with_bleed": " avec {bleed} de fond perdu",
        "page_list": "Pages de l’édition imprimée",
        "isbn_print": "ISBN {isbn} (broché)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "date": "{day} {month} {year}",
    },
    "es": {
        "fig": ("Figura", "Figuras"), "tbl": ("Tabla", "Tablas"), "eq": ("Ecuación", "Ecuaciones"),
        "sec": ("Sección", "Secciones"), "lst": ("Listado", "Listados"), "and": "y", "colon": ":",
        "chapter": "Capítulo",
        "callout": {"note": "Nota", "tip": "Consejo", "hint": "Pista", "important": "Importante",
                    "warning": "Advertencia", "caution": "Precaución", "danger": "Peligro"},
        "note": "nota", "chap": ("Capítulo", "Capítulos"), "appendix": "Apéndice", "app": ("Apéndice", "Apéndices"),
        "contents": "Índice", "glossary": "Glosario", "index": "Índice alfabético",
        "bibliography": "Bibliografía", "notes": "Notas", "abstract": "Resumen",
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
        "identifier": "Identificador", "see": "Véase", "see_also": "Véase también", "used_in": "Usado en", "used_on_pages": "Usado en las páginas", "used_on_page": "Usado en la página",
        "first_use": "Primer uso", "also": "También", "pages": "{count} páginas",
        "on_this_page": "En esta página", "section_link": "Enlace a esta sección: {title}",
        "dark_mode": "Modo oscuro", "needed_since": "Esta afirmación necesita una fuente desde {date}",
        "not_found_title": "Página no encontrada", "not_found": "Esta página no está en el libro. Empieza aquí:",
        "pdf_screen": ("PDF", "para leer en pantalla"), "pdf_print": ("PDF para imprenta", "con sangrado, para imprentas"),
        "epub": ("EPUB", "para lectores electrónicos"),
        "colophon": "Compuesto en {font}, un tipo de Frank Grießhammer para Adobe, publicado con la licencia SIL "
                    "Open Font License. Hecho con folio a partir de un manuscrito Markdown, con pandoc, citeproc "
                    "y WeasyPrint.",
        "screen_edition": "Edición para pantalla.", "page_size": "Páginas de {width} × {height}.", "print_edition": "Edición impresa, {width} × {height}",
        "with_bleed": " con {bleed} de sangrado",
        "page_list": "Páginas de la edición impresa",
        "isbn_print": "ISBN {isbn} (rústica)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "date": "{day} de {month} de {year}",
    },
    "it": {
        "fig": ("Figura", "Figure"), "tbl": ("Tabella", "Tabelle"), "eq": ("Equazione", "Equazioni"),
        "sec": ("Sezione", "Sezioni"), "lst": ("Listato", "Listati"), "and": "e", "colon": ":",
        "chapter": "Capitolo",
        "callout": {"note": "Nota", "tip": "Suggerimento", "hint": "Suggerimento", "important": "Importante",
                    "warning": "Avvertenza", "caution": "Attenzione", "danger": "Pericolo"},
        "note": "nota", "chap": ("Capitolo", "Capitoli"), "appendix": "Appendice", "app": ("Appendice", "Appendici"),
        "contents": "Indice",
        "glossary": "Glossario", "index": "Indice analitico",
        "bibliography": "Bibliografia", "notes": "Note", "abstract": "Sommario",
        "list_of": {"fig": "Elenco delle figure", "tbl": "Elenco delle tabelle", "lst": "Elenco dei listati"},
        "skip_link": "Vai al testo", "search": "Cerca", "search_book": "Cerca in questo libro",
        "search_hint": "Scrivi una parola o una frase da cercare nel libro.",
        "search_none": "Nulla nel libro corrisponde a «{query}».",
        "search_one": "1 capitolo corrisponde a «{query}».", "search_many": "{count} capitoli corrispondono a «{query}».",
        "search_needs_js": "La ricerca richiede JavaScript; l’indice porta a ogni capitolo.",
        "untitled": "Senza titolo", "other_editions": "Altre edizioni", "back_to_text": "Torna al testo",
        "previous": "Precedente", "next": "Successivo", "pager": "Precedente e successivo", "title_page": "Frontespizio",
        "cover": "Copertina", "start_of_text": "Inizio del testo", "landmarks": "Punti di riferimento",
        "copyright": "Colophon", "editor_of": "A cura di {name}", "read": "Leggi", "start_reading": "Inizia a leggere",
        "download": "Scarica", "about_edition": "Su questa edizione", "published_by": "Pubblicato da {publisher}.",
        "identifier": "Identificativo", "see": "Vedi", "see_also": "Vedi anche", "used_in": "Usato in",
        "used_on_pages": "Usato alle pagine", "used_on_page": "Usato a pagina",
        "first_use": "Prima attestazione", "also": "Anche", "pages": "{count} pagine",
        "on_this_page": "In questa pagina", "section_link": "Collegamento a questa sezione: {title}",
        "dark_mode": "Modalità scura", "needed_since": "Questa affermazione attende una fonte da {date}",
        "not_found_title": "Pagina non trovata", "not_found": "Questa pagina non è nel libro. Il libro comincia qui:",
        "pdf_screen": ("PDF", "per la lettura a schermo"), "pdf_print": ("PDF per la stampa", "con abbondanza, per lo stampatore"),
        "epub": ("EPUB", "per i lettori di e-book"),
        "colophon": "Composto in {font}, un carattere di Frank Grießhammer per Adobe, pubblicato con la licenza SIL "
                    "Open Font License. Realizzato con folio da un manoscritto Markdown, con pandoc, citeproc "
                    "e WeasyPrint.",
        "screen_edition": "Edizione per lo schermo.", "page_size": "Pagine di {width} × {height}.",
        "print_edition": "Edizione a stampa, {width} × {height}",
        "with_bleed": " con {bleed} di abbondanza",
        "page_list": "Pagine dell’edizione a stampa",
        "isbn_print": "ISBN {isbn} (brossura)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
        "date": "{day} {month} {year}",
    },
    "pt": {
        "fig": ("Figura", "Figuras"), "tbl": ("Tabela", "Tabelas"), "eq": ("Equação", "Equações"),
        "sec": ("Secção", "Secções"), "lst": ("Listagem", "Listagens"), "and": "e", "colon": ":",
        "chapter": "Capítulo",
        "callout": {"note": "Nota", "tip": "Dica", "hint": "Dica", "important": "Importante",
                    "warning": "Aviso", "caution": "Cuidado", "danger": "Perigo"},
        "note": "nota", "chap": ("Capítulo", "Capítulos"), "appendix": "Apêndice", "app": ("Apêndice", "Apêndices"),
        "contents": "Índice",
        "glossary": "Glossário", "index": "Índice remissivo",
        "bibliography": "Bibliografia", "notes": "Notas", "abstract": "Resumo",
        "list_of": {"fig": "Lista de figuras", "tbl": "Lista de tabelas", "lst": "Lista de listagens"},
        "skip_link": "Saltar para o texto", "search": "Pesquisar", "search_book": "Pesquisar neste livro",
        "search_hint": "Escreva uma palavra ou expressão para pesquisar no livro.",
        "search_none": "Nada no livro corresponde a «{query}».",
        "search_one": "1 capítulo corresponde a «{query}».", "search_many": "{count} capítulos correspondem a «{query}».",
        "search_needs_js": "A pesquisa precisa de JavaScript; o índice leva a cada capítulo.",
        "untitled": "Sem título", "other_editions": "Outras edições", "back_to_text": "Voltar ao texto",
        "previous": "Anterior", "next": "Seguinte", "pager": "Anterior e seguinte", "title_page": "Folha de rosto",
        "cover": "Capa", "start_of_text": "Início do texto", "landmarks": "Pontos de referência",
        "copyright": "Ficha técnica", "editor_of": "{name} (org.)", "read": "Ler", "start_reading": "Começar a ler",
        "download": "Transferir", "about_edition": "Sobre esta edição", "published_by": "Publicado por {publisher}.",
        "identifier": "Identificador", "see": "Ver", "see_also": "Ver também", "used_in": "Usado em",
        "used_on_pages": "Usado nas páginas", "used_on_page": "Usado na página",
        "first_use": "Primeiro uso", "also": "Também", "pages": "{count} páginas",
        "on_this_page": "Nesta página", "section_link": "Ligação para esta secção: {title}",
        "dark_mode": "Modo escuro", "needed_since": "Esta afirmação precisa de uma fonte desde {date}",
        "not_found_title": "Página não encontrada", "not_found": "Esta página não está no livro. O livro começa aqui:",
        "pdf_screen": ("PDF", "para ler no ecrã"), "pdf_print": ("PDF para impressão", "com sangria, para a gráfica"),
        "epub": ("EPUB", "para leitores de livros digitais"),
        "colophon": "Composto em {font}, um tipo de letra de Frank Grießhammer para a Adobe, publicado sob a licença "
                    "SIL Open Font License. Feito com folio a partir de um manuscrito Markdown, com pandoc, citeproc "
                    "e WeasyPrint.",
        "screen_edition": "Edição para ecrã.", "page_size": "Páginas de {width} × {height}.",
        "print_edition": "Edição impressa, {width} × {height}",
        "with_bleed": " com {bleed} de sangria",
        "page_list": "Páginas da edição impressa",
        "isbn_print": "ISBN {isbn} (brochura)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        "date": "{day} de {month} de {year}",
    },
    "nl": {
        "fig": ("Figuur", "Figuren"), "tbl": ("Tabel", "Tabellen"), "eq": ("Vergelijking", "Vergelijkingen"),
        "sec": ("Paragraaf", "Paragrafen"), "lst": ("Listing", "Listings"), "and": "en", "colon": ":",
        "chapter": "Hoofdstuk",
        "callout": {"note": "Opmerking", "tip": "Tip", "hint": "Hint", "important": "Belangrijk",
                    "warning": "Waarschuwing", "caution": "Let op", "danger": "Gevaar"},
        "note": "noot", "chap": ("Hoofdstuk", "Hoofdstukken"), "appendix": "Bijlage", "app": ("Bijlage", "Bijlagen"),
        "contents": "Inhoud",
        "glossary": "Woordenlijst", "index": "Register",
        "bibliography": "Literatuur", "notes": "Noten", "abstract": "Samenvatting",
        "list_of": {"fig": "Lijst van figuren", "tbl": "Lijst van tabellen", "lst": "Lijst van listings"},
        "skip_link": "Naar de tekst", "search": "Zoeken", "search_book": "Zoeken in dit boek",
        "search_hint": "Typ een woord of een zinsdeel om in het boek te zoeken.",
        "search_none": "Niets in het boek komt overeen met ‘{query}’.",
        "search_one": "1 hoofdstuk komt overeen met ‘{query}’.",
        "search_many": "{count} hoofdstukken komen overeen met ‘{query}’.",
        "search_needs_js": "Zoeken vraagt JavaScript; de inhoudsopgave leidt naar elk hoofdstuk.",
        "untitled": "Zonder titel", "other_editions": "Andere edities", "back_to_text": "Terug naar de tekst",
        "previous": "Vorige", "next": "Volgende", "pager": "Vorige en volgende", "title_page": "Titelpagina",
        "cover": "Omslag", "start_of_text": "Begin van de tekst", "landmarks": "Oriëntatiepunten",
        "copyright": "Colofon", "editor_of": "{name} (red.)", "read": "Lezen", "start_reading": "Begin met lezen",
        "download": "Downloaden", "about_edition": "Over deze editie", "published_by": "Uitgegeven door {publisher}.",
        "identifier": "Kenmerk", "see": "Zie", "see_also": "Zie ook", "used_in": "Gebruikt in",
        "used_on_pages": "Gebruikt op de pagina’s", "used_on_page": "Gebruikt op pagina",
        "first_use": "Eerste gebruik", "also": "Ook", "pages": "{count} pagina’s",
        "on_this_page": "Op deze pagina", "section_link": "Link naar deze paragraaf: {title}",
        "dark_mode": "Donkere modus", "needed_since": "Voor deze bewering ontbreekt sinds {date} een bron",
        "not_found_title": "Pagina niet gevonden", "not_found": "Deze pagina staat niet in het boek. Het begint hier:",
        "pdf_screen": ("PDF", "om op het scherm te lezen"), "pdf_print": ("PDF voor druk", "met afloop, voor de drukker"),
        "epub": ("EPUB", "voor e-readers"),
        "colophon": "Gezet in {font}, een letter van Frank Grießhammer voor Adobe, uitgegeven onder de SIL Open Font "
                    "License. Gemaakt met folio uit een Markdown-manuscript, met pandoc, citeproc en WeasyPrint.",
        "screen_edition": "Schermeditie.", "page_size": "Pagina’s van {width} × {height}.",
        "print_edition": "Gedrukte editie, {width} × {height}",
        "with_bleed": " met {bleed} afloop",
        "page_list": "Pagina’s van de gedrukte editie",
        "isbn_print": "ISBN {isbn} (paperback)", "isbn_epub": "ISBN {isbn} (EPUB)",
        "months": "januari februari maart april mei juni juli augustus september oktober november december",
        "date": "{day} {month} {year}",
    },
}


# The EPUB's accessibility summary (epub.accessibility), phrase by phrase: read by a
# reader deciding whether the book suits them, so in the book's language.
A11Y = {
    "en": {"summary": "Reflowable text: {parts}.",
           "chapters": ("{count} chapter with headings for every section",
                        "{count} chapters with headings for every section"),
           "toc": "a navigable table of contents", "notes": "footnotes linked both ways",
           "images": "images described in text", "math": "formulas in MathML",
           "pages": "the print edition's page numbers", "glossary": "a glossary",
           "bibliography": "a bibliography", "index": "an index"},
    "de": {"summary": "Text mit freiem Umbruch: {parts}.",
           "chapters": ("{count} Kapitel mit Überschriften für jeden Abschnitt",
                        "{count} Kapitel mit Überschriften für jeden Abschnitt"),
           "toc": "ein navigierbares Inhaltsverzeichnis", "notes": "in beide Richtungen verlinkte Fußnoten",
           "images": "im Text beschriebene Bilder", "math": "Formeln in MathML",
           "pages": "die Seitenzahlen der Druckausgabe", "glossary": "ein Glossar",
           "bibliography": "ein Literaturverzeichnis", "index": "ein Register"},
    "fr": {"summary": "Texte recomposable\u00a0: {parts}.",
           "chapters": ("{count} chapitre avec un titre pour chaque section",
                        "{count} chapitres avec un titre pour chaque section"),
           "toc": "une table des matières navigable", "notes": "des notes liées dans les deux sens",
           "images": "des images décrites dans le texte", "math": "des formules en MathML",
           "pages": "les numéros de page de l’édition imprimée", "glossary": "un glossaire",
           "bibliography": "une bibliographie", "index": "un index"},
    "es": {"summary": "Texto adaptable: {parts}.",
           "chapters": ("{count} capítulo con encabezados para cada sección",
                        "{count} capítulos con encabezados para cada sección"),
           "toc": "una tabla de contenidos navegable", "notes": "notas enlazadas en ambos sentidos",
           "images": "imágenes descritas en el texto", "math": "fórmulas en MathML",
           "pages": "los números de página de la edición impresa", "glossary": "un glosario",
           "bibliography": "una bibliografía", "index": "un índice"},
    "it": {"summary": "Testo adattabile: {parts}.",
           "chapters": ("{count} capitolo con titoli per ogni sezione",
                        "{count} capitoli con titoli per ogni sezione"),
           "toc": "un indice navigabile", "notes": "note collegate in entrambe le direzioni",
           "images": "immagini descritte nel testo", "math": "formule in MathML",
           "pages": "i numeri di pagina dell’edizione a stampa", "glossary": "un glossario",
           "bibliography": "una bibliografia", "index": "un indice analitico"},
    "pt": {"summary": "Texto ajustável: {parts}.",
           "chapters": ("{count} capítulo com títulos para cada secção",
                        "{count} capítulos com títulos para cada secção"),
           "toc": "um índice navegável", "notes": "notas ligadas nos dois sentidos",
           "images": "imagens descritas no texto", "math": "fórmulas em MathML",
           "pages": "os números de página da edição impressa", "glossary": "um glossário",
           "bibliography": "uma bibliografia", "index": "um índice remissivo"},
    "nl": {"summary": "Herschikbare tekst: {parts}.",
           "chapters": ("{count} hoofdstuk met koppen voor elke sectie",
                        "{count} hoofdstukken met koppen voor elke sectie"),
           "toc": "een navigeerbare inhoudsopgave", "notes": "voetnoten die in beide richtingen gekoppeld zijn",
           "images": "afbeeldingen die in de tekst beschreven zijn", "math": "formules in MathML",
           "pages": "de paginanummers van de gedrukte editie", "glossary": "een woordenlijst",
           "bibliography": "een bibliografie", "index": "een register"},
}
for _lang, _phrases in A11Y.items():
    WORDS[_lang]["a11y"] = _phrases

# Brazilian Portuguese, where its words are not Portugal's.
WORDS["pt-br"] = {**WORDS["pt"], "sec": ("Seção", "Seções"), "skip_link": "Pular para o texto",
                  "search_hint": "Digite uma palavra ou expressão para pesquisar no livro.",
                  "copyright": "Créditos", "download": "Baixar", "section_link": "Link para esta seção: {title}",
                  "pdf_screen": ("PDF", "para ler na tela"), "screen_edition": "Edição para tela.",
                  "a11y": {**A11Y["pt"], "chapters": ("{count} capítulo com títulos para cada seção",
                                                      "{count} capítulos com títulos para cada seção")}}


def words(lang: str) -> dict:
    """The words of `lang` (`pt-BR` has its own; `de-AT` is `de`); English by default."""
    return WORDS[table_of(lang)]


# A well-formed language tag (RFC 5646's syntax, the grandfathered tags aside), what
# EPUB's dc:language and XML's xml:lang require: epubcheck refuses `en_US` (OPF-092).
# A language subtag of 4 to 8 letters is well-formed but none is registered: `english`
# or `French` is a language's name, not its code, and is refused too.
_ALNUM = "[a-z0-9]"
_LANGUAGE_TAG = re.compile(
    rf"(?:[a-z]{{2,3}}(?:-[a-z]{{3}}){{0,3}}"                    # language, with extended subtags
    rf"(?:-[a-z]{{4}})?"                                         # script
    rf"(?:-(?:[a-z]{{2}}|[0-9]{{3}}))?"                          # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"             # variants
    rf"(?:-[0-9a-wy-z](?:-{_ALNUM}{{2,8}})+)*"                   # extensions
    rf"(?:-x(?:-{_ALNUM}{{1,8}})+)?"                             # private use
    rf"|x(?:-{_ALNUM}{{1,8}})+)", re.I)


def language_tag(value) -> str | None:
    """`lang:` as a well-formed tag: as written, or with the underscores of a locale
    name (`en_US`, `pt_BR.UTF-8`) made hyphens; None when it is no tag at all."""
    written = str(value).strip()
    if _LANGUAGE_TAG.fullmatch(written):
        return written
    mended = written.split(".")[0].split("@")[0].replace("_", "-")
    return mended if _LANGUAGE_TAG.fullmatch(mended) else None


def table_of(lang: str) -> str:
    """The tag of the table that speaks for `lang` ("en" when none does), for the
    `xml:lang` of words written in it: the language's own, or its region's
    (`pt-Latn-BR` is `pt-br`: a script subtag may stand between them)."""
    subtags = (lang or "en").replace("_", "-").lower().split("-")
    language, region = subtags[0], None
    for subtag in subtags[1:3]:
        if len(subtag) == 1:   # an extension or private use begins: no region
            break
        if (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            region = subtag
            break
    for tag in ((f"{language}-{region}",) if region else ()) + (language,):
        if tag in WORDS:
            return tag
    return "en"


def listed(parts: list[str], said: dict) -> str:
    """"a, b and c" in the book's words. Spanish says "e" for "y" before a word that
    begins with the sound /i/ ("texto e imágenes"), not before "hie-" ("y hielo")."""
    if len(parts) < 2:
        return "".join(parts)
    joint = said["and"]
    if joint == "y" and re.match(r"h?[iíÍI](?![aeiouáéíóú])", parts[-1], re.I):
        joint = "e"
    return ", ".join(parts[:-1]) + f" {joint} " + parts[-1]
