(function () {
  "use strict";
  // The cart page without reloads: − / + and typed quantities, the
  // promotion code and the shipping option post the form to the quote
  // endpoint, which answers the new totals and a token signing the new
  // total. Without this script the same buttons post the form and the page
  // comes back priced.
  var form = document.getElementById("pay");
  if (!form || !form.getAttribute("data-quote")) { return; }
  document.documentElement.className += " js";
  var url = form.getAttribute("data-quote");
  var csrf = document.getElementById("csrf");
  var pending = null, seq = 0;
  function $(id) { return document.getElementById(id); }
  function text(id, s) { var el = $(id); if (el) { el.textContent = s; } }
  function show(id, on) { var el = $(id); if (el) { el.hidden = !on; } }
  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    body.delete("number"); body.delete("csc"); body.delete("exp"); body.delete("name");
    var mine = ++seq;
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" } })
      .then(function (r) { if (!r.ok) { throw new Error("quote " + r.status); } return r.json(); })
      .then(function (q) {
        if (mine !== seq) { return; }
        csrf.value = q.csrf;
        (q.lines || []).forEach(function (l, i) {
          text("line-amount-" + i, l.amount);
          var input = $("quantity-" + i);
          if (input && input.tagName === "INPUT" && document.activeElement !== input) { input.value = l.quantity; }
          var dec = $("dec-" + i), inc = $("inc-" + i);
          if (dec) { dec.disabled = !l.can_dec; }
          if (inc) { inc.disabled = !l.can_inc; }
        });
        text("sum-subtotal", q.subtotal);
        text("sum-discount", "\u2212" + q.discount); show("row-discount", q.has_discount);
        text("sum-shipping", q.shipping); show("row-shipping", q.has_shipping);
        text("sum-tax", q.tax); text("tax-label", q.tax_label); show("row-tax", q.has_tax);
        text("sum-inclusive", q.inclusive_tax); show("row-inclusive", q.has_inclusive);
        text("sum-total", q.total); text("amount-total", q.total);
        var pay = $("submit");
        if (pay) { var verb = pay.lastElementChild.textContent.split(" ")[0]; pay.lastElementChild.textContent = verb + " " + q.total; }
        var err = (q.errors || {}).promotion_code || "";
        text("promotion_code-err", err); show("promotion_code-err", !!err);
        text("promo-applied", q.promo_applied ? "Applied: " + q.promo_applied : ""); show("promo-applied", !!q.promo_applied);
        var code = $("promotion_code");
        if (code) { if (err) { code.setAttribute("aria-invalid", "true"); } else { code.removeAttribute("aria-invalid"); } }
      })
      .catch(function () { /* the Update button still works: show it */
        var u = $("update"); if (u) { u.style.display = "flex"; }
      });
  }
  function later() { clearTimeout(pending); pending = setTimeout(refresh, 250); }
  form.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button") : null;
    if (!b) { return; }
    if (b.name === "step") {
      e.preventDefault();
      var parts = b.value.split(":"), input = $("quantity-" + parts[0]);
      var n = parseInt(input.value, 10) || 0, d = parseInt(parts[1], 10);
      var lo = parseInt(input.min, 10) || 1, hi = parseInt(input.max, 10) || n + 1;
      input.value = Math.min(hi, Math.max(lo, n + d));
      refresh();
    } else if (b.id === "apply") {
      e.preventDefault();
      refresh();
    }
  });
  form.addEventListener("input", function (e) {
    if (e.target.classList.contains("qty")) { later(); }
  });
  form.addEventListener("change", function (e) {
    var n = e.target.name || "";
    if (n === "shipping_rate" || /country$/.test(n) || /state$/.test(n)) { refresh(); }
  });
  var code = $("promotion_code");
  if (code) {
    code.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); refresh(); }
    });
  }
})();
