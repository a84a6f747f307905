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

  // The telephone exchange: a call ringing at this clerk's extension opens
  // here with the caller's history; the ring seconds are the exchange's.
  var calls = form.getAttribute("data-calls");
  if (calls && window.EventSource) {
    var banner = document.getElementById("call-banner");
    var callId = document.getElementById("call_id");
    var ring = document.getElementById("ring_seconds");
    var measured = document.getElementById("ring-measured");
    var received = document.getElementById("received_at");
    var source = new EventSource(calls);
    source.addEventListener("call", function (e) {
      var c;
      try { c = JSON.parse(e.data); } catch (err) { return; }
      // A clerk typing another call's matter is not interrupted.
      var mine = callId.value === c.call_id;
      if (!mine && callId.value !== "" ) { return; }
      if (!mine && phone.value.trim() !== "") { return; }
      callId.value = c.call_id;
      phone.value = c.caller;
      received.value = c.received_at_local;
      if (c.ring_seconds !== null && c.ring_seconds !== undefined) {
        ring.value = c.ring_seconds;
        ring.readOnly = true;
        measured.hidden = false;
      }
      banner.hidden = false;
      banner.textContent = "来电 " + c.caller + (c.extension ? "（分机 " + c.extension + "）" : "") +
        "：" + c.state_label +
        (c.ring_seconds !== null && c.ring_seconds !== undefined ? "，响铃 " + c.ring_seconds + " 秒" : "");
      lookup();
    });
  }
})();

// While a matter is typed: the sub-category and department the office's
// history suggests (one click takes the sub-category; what was suggested is
// sent with the form, so that suggestions can be measured), and the
// knowledge base's articles in force that match it (one click puts an
// article's answer into the answer box and records which article and
// version it came from). A POST, so the caller's words never appear in a
// URL.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  var content = document.getElementById("content");
  var panel = document.getElementById("offers");
  if (!form || !content || !panel) { return; }
  var csrf = form.querySelector("input[name=csrf]");
  var answer = document.getElementById("answer");
  var article = document.getElementById("answered_article");
  var version = document.getElementById("answered_version");
  var note = document.getElementById("answered-from");
  var title = document.getElementById("answered-title");
  var timer = null;
  var last = "";
  function fetchOffers() {
    var text = content.value.trim();
    var typeBox = document.getElementById("type");
    var categoryBox = document.getElementById("category");
    var addressBox = document.getElementById("address");
    var key = [text, typeBox ? typeBox.value : "", categoryBox ? categoryBox.value : "",
      addressBox ? addressBox.value.trim() : ""].join("\u0001");
    if (text.length < 2 || key === last) { return; }
    last = key;
    var body = new URLSearchParams();
    body.set("csrf", csrf ? csrf.value : "");
    body.set("content", text);
    body.set("type", typeBox ? typeBox.value : "");
    body.set("category", categoryBox ? categoryBox.value : "");
    body.set("address", addressBox ? addressBox.value : "");
    fetch("/intake/assist", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        // A duplicate chosen to merge into stays chosen while it is offered.
        var chosen = panel.querySelector("input[name=merge_into]:checked");
        var keep = chosen ? chosen.value : "";
        panel.innerHTML = html;
        if (keep) {
          var again = panel.querySelector("input[name=merge_into][value='" + keep.replace(/'/g, "") + "']");
          if (again) { again.checked = true; }
        }
        var s = document.getElementById("suggestions");
        var sc = document.getElementById("suggested_category");
        var sd = document.getElementById("suggested_department");
        if (sc) { sc.value = s ? (s.getAttribute("data-category") || "") : ""; }
        if (sd) { sd.value = s ? (s.getAttribute("data-department") || "") : ""; }
      })
      .catch(function () { /* typing goes on without help */ });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(fetchOffers, 400);
  }
  content.addEventListener("input", later);
  ["address", "category", "type"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { el.addEventListener("change", later); }
  });
  function clearCitation() {
    if (article) { article.value = ""; }
    if (version) { version.value = ""; }
    if (note) { note.hidden = true; }
  }
  panel.addEventListener("click", function (e) {
    var use = e.target.closest ? e.target.closest(".use-category") : null;
    var category = document.getElementById("category");
    var type = document.getElementById("type");
    if (use && category) {
      var code = use.getAttribute("data-code") || "";
      var opt = category.querySelector("option[value='" + code.replace(/'/g, "") + "']");
      if (opt && type && opt.getAttribute("data-type") && type.value !== opt.getAttribute("data-type")) {
        type.value = opt.getAttribute("data-type");
        type.dispatchEvent(new Event("change"));
      }
      category.value = code;
      category.dispatchEvent(new Event("change"));
      return;
    }
    var b = e.target.closest ? e.target.closest(".insert-answer") : null;
    if (!b || !answer) { return; }
    answer.value = b.getAttribute("data-answer") || "";
    if (article) { article.value = b.getAttribute("data-article") || ""; }
    if (version) { version.value = b.getAttribute("data-version") || ""; }
    if (title) {
      title.textContent = "《" + (b.getAttribute("data-title") || "") + "》第 " + (b.getAttribute("data-version") || "") + " 版";
    }
    if (note) { note.hidden = false; }
    answer.focus();
  });
  var clear = document.getElementById("answered-clear");
  if (clear) { clear.addEventListener("click", clearCitation); }
  // An emptied answer cites nothing.
  if (answer) {
    answer.addEventListener("input", function () { if (!answer.value.trim()) { clearCitation(); } });
  }
})();
