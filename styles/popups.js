/* folio: glossary pop-ups (WCAG 1.4.13). A definition opens on hover, focus or a first
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
