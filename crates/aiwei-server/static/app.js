// Comfort for the pages; every feature also works without it.
(function () {
  "use strict";
  // The printed form's print button.
  var print = document.getElementById("print-button");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();

(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) { return; }

  // Ctrl+Enter saves from anywhere in the form.
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var submit = document.getElementById("intake-submit");
      if (submit) { submit.click(); }
    }
  });

  // The star follows the caller kind: a person's name, an organisation's
  // name.
  function starKind() {
    var org = form.querySelector("input[name=caller_kind]:checked");
    var isOrg = !!org && org.value === "organization";
    var n = document.getElementById("name-required");
    var o = document.getElementById("org-required");
    if (n) { n.hidden = isOrg; }
    if (o) { o.hidden = !isOrg; }
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=caller_kind]"), function (r) {
    r.addEventListener("change", starKind);
  });

  // Show only the sub-categories of the chosen type.
  var type = document.getElementById("type");
  var category = document.getElementById("category");
  function filterCategories() {
    if (!type || !category) { return; }
    Array.prototype.forEach.call(category.options, function (o) {
      var t = o.getAttribute("data-type");
      o.hidden = !!t && t !== type.value;
      if (o.hidden && o.selected) { category.value = ""; }
    });
  }
  if (type) { type.addEventListener("change", filterCategories); filterCategories(); }

  // Where the chosen sub-category's matters usually go.
  var hint = document.getElementById("route-hint");
  function showRoute() {
    if (!category || !hint) { return; }
    var o = category.options[category.selectedIndex];
    var route = o ? o.getAttribute("data-route") : "";
    hint.textContent = route ? "默认派往：" + route : "";
  }
  if (category) { category.addEventListener("change", showRoute); }

  // The caller's earlier matters as soon as the number is typed. A POST,
  // so the number never appears in a URL.
  var phone = document.getElementById("caller_phone");
  var panel = document.getElementById("history");
  var csrf = form.querySelector("input[name=csrf]");
  var timer = null;
  var last = "";
  function lookup() {
    var digits = phone.value.replace(/[^0-9]/g, "");
    if (digits.length < 5 || digits === last) { return; }
    last = digits;
    var body = new URLSearchParams();
    body.set("csrf", csrf ? csrf.value : "");
    body.set("caller_phone", phone.value);
    fetch("/intake/history", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && panel) { panel.innerHTML = html; } })
      .catch(function () { /* the button still works */ });
  }
  if (phone) {
    phone.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 300);
    });
    phone.addEventListener("blur", lookup);
  }
})();
