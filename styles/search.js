/* folio site search: reads window.FOLIO_SEARCH (one record per passage, from
   search-index.js, so it works from disk) and lists the passages that hold every word of
   the query. A word the dictionary knows finds its variants too ("entrism" finds
   "entryism"); a "quoted phrase" must appear as written; passages with the exact phrase
   come first. Matches are marked in the results and on the page a result opens. */
(function () {
  "use strict";
  var records = window.FOLIO_SEARCH || [];
  var variants = window.FOLIO_VARIANTS || [];
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim();
  var input = document.getElementById("search-query");
  var summary = document.getElementById("search-summary");
  var list = document.getElementById("search-results");
  // The words, in the book's language, come from the page (folio/labels.py).
  function say(name, count) {
    return (summary.getAttribute("data-" + name) || "").split("{query}").join(query)
      .split("{count}").join(String(count));
  }
  if (input) { input.value = query; }
  if (!query) { summary.textContent = say("hint", 0); return; }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[\u2018\u2019]/g, "'").toLowerCase();
  }
  // Each term is a list of forms, any of which may match: a phrase, or a word and its variants.
  var terms = [];
  query.replace(/"([^"]+)"|(\S+)/g, function (_, phrase, word) {
    var form = fold(phrase || word);
    var forms = [form];
    variants.forEach(function (group) {
      var folded = group.map(fold);
      if (folded.indexOf(form) >= 0) { forms = forms.concat(folded.filter(function (f) { return f !== form; })); }
    });
    terms.push(forms);
  });
  var whole = fold(query.replace(/"/g, ""));
  var hits = [];
  records.forEach(function (record) {
    // the passage's words, and the index entries marked on it
    var text = fold(record.text + (record.terms ? " \u2016 " + record.terms : ""));
    if (!terms.every(function (forms) { return forms.some(function (f) { return text.indexOf(f) >= 0; }); })) {
      return;
    }
    var count = 0, first = text.length;
    terms.forEach(function (forms) {
      forms.forEach(function (f) {
        count += text.split(f).length - 1;
        var at = text.indexOf(f);
        if (at >= 0 && at < first) { first = at; }
      });
    });
    hits.push({ record: record, at: first, count: count, exact: text.indexOf(whole) >= 0 ? 1 : 0 });
  });
  hits.sort(function (a, b) { return (b.exact - a.exact) || (b.count - a.count); });
  summary.textContent = say(hits.length === 0 ? "none" : hits.length === 1 ? "one" : "many", hits.length);
  var forms = [].concat.apply([], terms);

  // Text with every form marked, built from text nodes (nothing from the index is HTML).
  function marked(text, into) {
    var folded = fold(text), at = 0;
    while (at < text.length) {
      var next = -1, length = 0;
      forms.forEach(function (f) {
        var found = folded.indexOf(f, at);
        if (found >= 0 && (next < 0 || found < next)) { next = found; length = f.length; }
      });
      if (next < 0) { into.appendChild(document.createTextNode(text.slice(at))); return; }
      into.appendChild(document.createTextNode(text.slice(at, next)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(next, next + length);
      into.appendChild(mark);
      at = next + length;
    }
  }
  var highlight = encodeURIComponent(forms.join("|"));
  hits.slice(0, 200).forEach(function (hit) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    var parts = hit.record.href.split("#");
    link.href = parts[0] + "?hl=" + highlight + (parts[1] ? "#" + parts[1] : "");
    link.textContent = hit.record.title || say("untitled", 0);
    var snippet = document.createElement("p");
    var start = Math.max(0, (hit.at < hit.record.text.length ? hit.at : hit.record.at || 0) - 80);
    var text = hit.record.text.substr(start, 260);
    marked((start > 0 ? "\u2026" : "") + text + (start + 260 < hit.record.text.length ? "\u2026" : ""), snippet);
    item.appendChild(link);
    item.appendChild(snippet);
    if (hit.record.terms && forms.some(function (f) { return fold(hit.record.terms).indexOf(f) >= 0; })) {
      var indexed = document.createElement("p");
      indexed.className = "search-terms";
      marked(hit.record.terms, indexed);
      item.appendChild(indexed);
    }
    list.appendChild(item);
  });
}());
