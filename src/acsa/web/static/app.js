// ACSA Ledger — small enhancements; every page works without this file.
(function () {
  "use strict";
  // New order: picking a remembered item fills its category, NSN, unit and price.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[list=catalogue][data-line]")) return;
    var options = document.querySelectorAll("#catalogue option");
    for (var i = 0; i < options.length; i++) {
      var o = options[i];
      if (o.value !== input.value) continue;
      var row = "lines." + input.dataset.line + ".";
      var fill = {category: o.dataset.category, nsn: o.dataset.nsn, unit: o.dataset.unit,
                  unit_price: o.dataset.price};
      Object.keys(fill).forEach(function (name) {
        var target = document.getElementById(row + name);
        if (target && !target.value && fill[name]) target.value = fill[name];
      });
      break;
    }
  });
  // New order: the currency, the fund citation's required mark and the items suggested
  // follow the agreement and the partner chosen (the server does the same without this).
  var orderForm = document.querySelector("form[data-partner-terms]");
  if (orderForm) {
    var terms = JSON.parse(orderForm.getAttribute("data-partner-terms") || "{}");
    var partner = orderForm.elements[orderForm.getAttribute("data-partner-field")];
    var agreement = orderForm.elements.agreement;
    var list = document.getElementById("catalogue");
    var items = list ? Array.prototype.slice.call(list.options) : [];
    var follow = function () {
      var t = terms[(agreement && agreement.value) + "|" + (partner && partner.value)];
      var shown = document.getElementById("currency");
      if (shown) shown.textContent = t ? t.currency : "\u2014";
      var fund = orderForm.elements.fund_citation;
      var label = fund && orderForm.querySelector("label[for=fund_citation]");
      if (t && fund && label) {
        fund.required = t.fund;
        var mark = label.querySelector("span");
        if (t.fund && !mark) label.insertAdjacentHTML("beforeend", ' <span aria-hidden="true">*</span>');
        if (!t.fund && mark) mark.remove();
      }
      if (!list) return;
      var emergency = partner && partner.name === "requester";
      list.textContent = "";
      items.forEach(function (o) {
        if (!t || (o.dataset.currency === t.currency &&
                   (emergency || o.dataset.supplier === partner.value))) list.appendChild(o);
      });
    };
    orderForm.addEventListener("change", function (event) {
      if (event.target === partner || event.target === agreement) follow();
    });
  }
  // Weighty actions ask once more before they are signed.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("weighty") &&
        !window.confirm(button.textContent.trim() + "?")) {
      event.preventDefault();
    }
  });
  // A table wider than its box scrolls inside it: let the keyboard reach and scroll it too,
  // and name the region after the table's caption or section heading.
  function scrollers() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        var section = wrap.closest("section[aria-labelledby]");
        var caption = wrap.querySelector("caption");
        if (section) {
          wrap.setAttribute("role", "group");
          wrap.setAttribute("aria-labelledby", section.getAttribute("aria-labelledby"));
        } else if (caption && caption.textContent.trim()) {
          wrap.setAttribute("role", "group");
          wrap.setAttribute("aria-label", caption.textContent.trim());
        }
      } else if (!scrolls && wrap.getAttribute("tabindex") === "0") {
        ["tabindex", "role", "aria-labelledby", "aria-label"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    }
  }
  scrollers();
  window.addEventListener("resize", scrollers);
  // Open the action form a link points at (#act-accept).
  if (location.hash.indexOf("#act-") === 0) {
    var details = document.querySelector(location.hash);
    if (details && details.tagName === "DETAILS") details.open = true;
  }
})();
