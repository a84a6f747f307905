// Comfort for the intake page; every feature also works without it.
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
