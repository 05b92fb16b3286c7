(function () {
  "use strict";
  var form = document.getElementById("pay");
  if (!form) { return; }
  var number = document.getElementById("number");
  var exp = document.getElementById("exp");
  var icon = document.getElementById("brand-icon");
  var icons = {};
  ["visa", "mastercard", "amex", "jcb"].forEach(function (b) {
    var el = form.querySelector(".brands .b-" + b);
    if (el) { icons[b] = el.outerHTML; }
  });
  var generic = icon.innerHTML;
  function brandOf(d) {
    if (/^4/.test(d)) { return "visa"; }
    if (/^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/.test(d)) { return "mastercard"; }
    if (/^3[47]/.test(d)) { return "amex"; }
    if (/^35(2[89]|[3-8])/.test(d)) { return "jcb"; }
    return "";
  }
  function groups(d, brand) {
    var sizes = brand === "amex" ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var out = [], i = 0;
    for (var g = 0; g < sizes.length && i < d.length; g++) { out.push(d.slice(i, i + sizes[g])); i += sizes[g]; }
    return out.join(" ");
  }
  number.addEventListener("input", function () {
    var d = number.value.replace(/\D/g, "").slice(0, 19);
    var b = brandOf(d);
    var atEnd = number.selectionStart === number.value.length;
    number.value = groups(d, b);
    if (atEnd) { number.setSelectionRange(number.value.length, number.value.length); }
    if (b) { form.setAttribute("data-brand", b); icon.innerHTML = icons[b] || generic; }
    else { form.removeAttribute("data-brand"); icon.innerHTML = generic; }
  });
  exp.addEventListener("input", function (e) {
    var d = exp.value.replace(/\D/g, "").slice(0, 4);
    if (d.length === 1 && d > "1") { d = "0" + d; }
    var deleting = e.inputType && e.inputType.indexOf("delete") === 0;
    exp.value = d.length >= 2 && !(deleting && d.length === 2) ? d.slice(0, 2) + " / " + d.slice(2) : d;
  });
  form.addEventListener("submit", function () {
    var btn = document.getElementById("submit");
    btn.disabled = true;
    btn.lastElementChild.textContent = "Processing\u2026";
  });
})();
(function () {
  "use strict";
  var eth = document.getElementById("eth-tab");
  if (!eth) { return; }
  var card = document.getElementById("card-tab");
  var tabs = document.getElementById("tabs");
  if (tabs && card) {
    tabs.hidden = false;
    var buttons = tabs.querySelectorAll("button");
    var show = function (id) {
      eth.hidden = id !== "eth-tab";
      card.hidden = id !== "card-tab";
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-tab") === id)); });
    };
    buttons.forEach(function (b) { b.addEventListener("click", function () { show(b.getAttribute("data-tab")); }); });
    show("eth-tab");
  }
  eth.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () { b.textContent = "Copied"; });
      }
    });
  });
  var left = document.getElementById("eth-left");
  var expires = Date.parse(eth.getAttribute("data-expires"));
  if (left && expires) {
    setInterval(function () {
      var s = Math.max(0, Math.floor((expires - Date.now()) / 1000));
      left.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    }, 1000);
  }
  var url = eth.getAttribute("data-status-url");
  var name = document.getElementById("eth-status-name");
  var text = document.getElementById("eth-status-text");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (s) {
      if (!s) { return; }
      name.textContent = s.status;
      text.textContent = s.statusText;
      eth.setAttribute("data-status", s.status);
      if (s.next) { window.location.assign(s.next); }
    }).catch(function () {});
  }
  setInterval(poll, 3000);
})();
