/* The desk's search, keyboard first: results as you type (debounced), ↓ ↑ between results, Enter opens one,
   Esc back to the box, a copy button for the answer text, and the call's handling time sent with the log.
   The page works without this file (a plain form); nothing here talks to anything but /desk/search/results. */
(function () {
  "use strict";
  var DEBOUNCE_MS = 200;
  var box = document.getElementById("q");
  var results = document.getElementById("results");
  var elapsed = document.getElementById("elapsed");
  if (!box || !results) { return; }
  var timer = null, pending = null, asked = 0, started = null;

  function seconds() { return started === null ? null : Math.round((Date.now() - started) / 1000); }

  function tick() {
    var s = seconds();
    if (s !== null && elapsed) {
      elapsed.textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }
  }

  function startTimer() {
    if (started === null) { started = Date.now(); timer = window.setInterval(tick, 1000); tick(); }
  }

  function fetchResults() {
    var query = box.value.trim(), mine = ++asked;
    var url = "/desk/search/results?q=" + encodeURIComponent(query);
    window.history.replaceState(null, "", "/desk/search" + (query ? "?q=" + encodeURIComponent(query) : ""));
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (reply) {
      if (reply.redirected) { window.location.assign(reply.url); throw new Error("signed out"); }
      if (!reply.ok) { throw new Error("search " + reply.status); }
      return reply.text();
    }).then(function (html) {
      if (mine === asked) { results.innerHTML = html; results.setAttribute("data-query", query); }
    }).catch(function () { /* the last results stay; the next keystroke or Enter asks again */ });
  }

  function searchSoon() {
    if (box.value.trim()) { startTimer(); }
    window.clearTimeout(pending);
    pending = window.setTimeout(fetchResults, DEBOUNCE_MS);
  }

  function summaries() { return Array.prototype.slice.call(results.querySelectorAll("details.result > summary")); }

  function move(from, step) {
    var all = summaries(), at = all.indexOf(from) + step;
    if (at < 0) { box.focus(); return; }
    if (at < all.length) { all[at].focus(); }
  }

  box.addEventListener("input", searchSoon);
  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      var shown = results.getAttribute("data-query");
      var ready = shown === box.value.trim() ? Promise.resolve() : fetchResults();
      ready.then(function () { var all = summaries(); if (all.length) { all[0].focus(); } });
    } else if (event.key === "Enter") {
      event.preventDefault();
      window.clearTimeout(pending);
      if (box.value.trim()) { startTimer(); }
      fetchResults();
    }
  });

  results.addEventListener("keydown", function (event) {
    var summary = event.target.closest ? event.target.closest("summary") : null;
    if (event.key === "Escape") { event.preventDefault(); box.focus(); return; }
    if (!summary) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); move(summary, 1); }
    if (event.key === "ArrowUp") { event.preventDefault(); move(summary, -1); }
  });

  function copied(button, text) {
    var old = button.textContent;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = old; }, 2000);
  }

  function copyFallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok;
  }

  results.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    var text = source ? source.textContent : "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, "コピーしました"); },
        function () { copied(button, copyFallback(text) ? "コピーしました" : "コピーできませんでした"); });
    } else {
      copied(button, copyFallback(text) ? "コピーしました" : "コピーできませんでした");
    }
  });

  results.addEventListener("submit", function (event) {
    var field = event.target.querySelector("input.handling"), s = seconds();
    if (field && s !== null) { field.value = String(s); }
  });

  if (box.value.trim()) { results.setAttribute("data-query", box.value.trim()); }
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}());
