/* folio's site script: glossary pop-ups, and the matches of a search marked on the page
   a result opens. Pop-ups (WCAG 1.4.13): A definition opens on hover, focus or a first
   tap, stays while the pointer is over it, closes with Escape, and is moved to lie
   inside the window; without script it stays hidden and the term links to the glossary. */
(function () {
  "use strict";
  var open = null, timer = null;
  function popOf(link) { return document.getElementById(link.getAttribute("aria-describedby")); }
  function hide() {
    clearTimeout(timer);
    if (open) { open.hidden = true; open.classList.remove("open"); open.style.transform = ""; open = null; }
  }
  function show(link) {
    var pop = popOf(link);
    if (!pop || pop === open) { clearTimeout(timer); return; }
    hide();
    pop.hidden = false;
    pop.classList.add("open");
    var box = pop.getBoundingClientRect(), room = document.documentElement.clientWidth, margin = 8, shift = 0;
    if (box.right > room - margin) { shift = room - margin - box.right; }
    if (box.left + shift < margin) { shift = margin - box.left; }
    if (shift) { pop.style.transform = "translateX(" + Math.round(shift) + "px)"; }
    open = pop;
  }
  function later() { clearTimeout(timer); timer = setTimeout(hide, 300); }
  document.querySelectorAll("a.glossterm[aria-describedby]").forEach(function (link) {
    var pop = popOf(link);
    if (!pop) { return; }
    link.addEventListener("mouseenter", function () { show(link); });
    link.addEventListener("mouseleave", later);
    link.addEventListener("focus", function () { show(link); });
    link.addEventListener("blur", later);
    pop.addEventListener("mouseenter", function () { clearTimeout(timer); });
    pop.addEventListener("mouseleave", later);
    link.addEventListener("click", function (event) {
      // On a touch screen the first tap shows the definition; the second follows the link.
      if (window.matchMedia("(hover: none)").matches && open !== pop) { event.preventDefault(); show(link); }
    });
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") { hide(); } });
}());

/* A page opened from search (`?hl=form|form`): mark each match in the text and bring
   the first into view, unless the link named a passage. */
(function () {
  "use strict";
  var wanted = new URLSearchParams(window.location.search).get("hl");
  var main = document.getElementById("content");
  if (!wanted || !main) { return; }
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[\u2018\u2019]/g, "'").toLowerCase();
  }
  var forms = wanted.split("|").map(fold).filter(function (f) { return f.length > 1; });
  if (!forms.length) { return; }
  var walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
    acceptNode: function (node) {
      var parent = node.parentNode;
      return parent.closest && parent.closest("script, style, mark, .gloss-pop") ? NodeFilter.FILTER_REJECT
        : NodeFilter.FILTER_ACCEPT;
    }
  });
  var nodes = [];
  while (walker.nextNode()) { nodes.push(walker.currentNode); }
  var first = null;
  nodes.forEach(function (node) {
    var text = node.nodeValue, folded = fold(text), at = 0, pieces = [];
    while (at < text.length) {
      var next = -1, length = 0;
      forms.forEach(function (f) {
        var found = folded.indexOf(f, at);
        if (found >= 0 && (next < 0 || found < next)) { next = found; length = f.length; }
      });
      if (next < 0) { break; }
      pieces.push([next, length]);
      at = next + length;
    }
    if (!pieces.length) { return; }
    var holder = document.createDocumentFragment(), from = 0;
    pieces.forEach(function (piece) {
      holder.appendChild(document.createTextNode(text.slice(from, piece[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(piece[0], piece[0] + piece[1]);
      holder.appendChild(mark);
      first = first || mark;
      from = piece[0] + piece[1];
    });
    holder.appendChild(document.createTextNode(text.slice(from)));
    node.parentNode.replaceChild(holder, node);
  });
  if (first && !window.location.hash) { first.scrollIntoView({ block: "center" }); }
}());

/* ← and → turn to the previous and next chapter, as in a reading app (not while typing). */
document.addEventListener("keydown", function (event) {
  "use strict";
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) { return; }
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
  var selector = { ArrowLeft: ".pager a[rel=prev]", ArrowRight: ".pager a[rel=next]" }[event.key];
  var link = selector && document.querySelector(selector);
  if (link) { window.location.href = link.href; }
});

/* Dark mode: the system's choice, or the reader's, kept for the next page. */
(function () {
  "use strict";
  var root = document.documentElement, button = document.querySelector(".theme-toggle");
  var saved = null;
  try { saved = window.localStorage.getItem("folio-theme"); } catch (e) { saved = null; }
  if (saved === "dark" || saved === "light") { root.setAttribute("data-theme", saved); }
  if (!button) { return; }
  function dark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  button.hidden = false;
  button.setAttribute("aria-pressed", String(dark()));
  button.addEventListener("click", function () {
    var next = dark() ? "light" : "dark";
    root.setAttribute("data-theme", next);
    button.setAttribute("aria-pressed", String(next === "dark"));
    try { window.localStorage.setItem("folio-theme", next); } catch (e) { /* a private window */ }
  });
}());

/* On a phone the contents fold behind the menu button at the top of the page. */
(function () {
  "use strict";
  var button = document.querySelector(".menu-button"), toc = document.getElementById("site-toc");
  document.documentElement.classList.add("js");
  if (!button || !toc) { return; }
  button.addEventListener("click", function () {
    var open = toc.classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
}());

/* The section list beside the text (wide screens) marks the section being read: the
   last whose start has passed a quarter of the way down the window, or at the end of
   the page the last one begun. Without script it is a plain list. */
(function () {
  "use strict";
  var nav = document.querySelector(".page-toc");
  if (!nav || !window.requestAnimationFrame) { return; }
  var pairs = [];
  nav.querySelectorAll("a[href^='#']").forEach(function (link) {
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) { pairs.push([target, link]); }
  });
  if (!pairs.length) { return; }
  var marked = null, waiting = false;
  function mark() {
    waiting = false;
    if (getComputedStyle(nav).display === "none") { return; }
    var root = document.documentElement, height = window.innerHeight, found = null;
    var atEnd = window.scrollY + height >= root.scrollHeight - 2;
    pairs.forEach(function (pair) {
      var top = pair[0].getBoundingClientRect().top;
      if (top <= height * 0.25 || (atEnd && top < height)) { found = pair[1]; }
    });
    if (found === marked) { return; }
    if (marked) { marked.removeAttribute("aria-current"); }
    if (found) { found.setAttribute("aria-current", "location"); }
    marked = found;
    if (found && nav.scrollHeight > nav.clientHeight) {   // a list taller than the window keeps it in view
      var box = found.getBoundingClientRect(), frame = nav.getBoundingClientRect();
      if (box.top < frame.top || box.bottom > frame.bottom) { nav.scrollTop += box.top - frame.top - frame.height / 3; }
    }
  }
  function later() {
    if (!waiting) { waiting = true; window.requestAnimationFrame(mark); }
  }
  window.addEventListener("scroll", later, { passive: true });
  window.addEventListener("resize", later);
  window.addEventListener("hashchange", later);
  mark();
}());
