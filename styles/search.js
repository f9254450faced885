/* folio site search: reads window.FOLIO_SEARCH (from search-index.js) and lists the
   chapters that contain every word of the query, with a snippet around the first hit. */
(function () {
  "use strict";
  var records = window.FOLIO_SEARCH || [];
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
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var words = fold(query).split(/\s+/).filter(Boolean);
  var hits = [];
  records.forEach(function (record) {
    var text = fold(record.text);
    if (!words.every(function (w) { return text.indexOf(w) >= 0; })) { return; }
    var count = 0;
    words.forEach(function (w) { count += text.split(w).length - 1; });
    hits.push({ record: record, at: text.indexOf(words[0]), count: count });
  });
  hits.sort(function (a, b) { return b.count - a.count; });
  summary.textContent = say(hits.length === 0 ? "none" : hits.length === 1 ? "one" : "many", hits.length);
  hits.forEach(function (hit) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = hit.record.href;
    link.textContent = hit.record.title || say("untitled", 0);
    var snippet = document.createElement("p");
    var start = Math.max(0, hit.at - 80);
    snippet.textContent = (start > 0 ? "\u2026" : "") + hit.record.text.substr(start, 200) + "\u2026";
    item.appendChild(link);
    item.appendChild(document.createTextNode(" (" + hit.count + ")"));
    item.appendChild(snippet);
    list.appendChild(item);
  });
}());
