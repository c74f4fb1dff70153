/* What an agent typed survives the end of their session. A form sent after the session ended (it expired, or
   they signed out in another tab) is answered with the login page, and the server keeps nothing it was sent
   by someone not signed in; so when a desk form is sent, its typed fields are kept in this tab's
   sessionStorage, and they are put back once the agent has signed in again and is back on that page.
   sessionStorage, never localStorage: resident data must not outlive the tab on a shared call-center PC.
   One record, the last form sent; it is deleted when the next page shows the form was received (any signed-in
   page the login page did not mark it on), once restored, when another user signs in, and after 2 hours.
   Values are only ever set as field values, never as HTML. The desk works without this file. */
(function () {
  "use strict";
  var KEY = "madoguchi-desk-unsent";
  var MAX_AGE_MS = 2 * 60 * 60 * 1000;
  var TYPED = { text: true, search: true, email: true, tel: true, url: true, number: true, date: true };
  var NOT_WATCHED = { "/desk/login": true, "/desk/logout": true };
  var RESTORED = "ログインの前に書いていた内容を戻しました。確かめてから、もう一度送ってください。";
  var MESSAGE_ID = "unsent-restored";
  var store;
  try { store = window.sessionStorage; } catch (blocked) { return; }
  if (!store) { return; }

  function read() {
    try {
      var record = JSON.parse(store.getItem(KEY) || "null");
      return record && typeof record === "object" && record.fields && typeof record.fields === "object"
        ? record : null;
    } catch (broken) { return null; }
  }

  function write(record) {
    try { store.setItem(KEY, JSON.stringify(record)); } catch (full) { /* nothing kept: as without this file */ }
  }

  function forget() {
    try { store.removeItem(KEY); } catch (blocked) { /* nothing to do */ }
  }

  function fresh(record) {
    var age = Date.now() - Number(record.at);
    return age >= 0 && age <= MAX_AGE_MS;
  }

  function pathOf(url) {
    var link = document.createElement("a");
    link.href = url;
    return link.pathname;
  }

  function actionOf(form) { return pathOf(form.getAttribute("action") || window.location.href); }

  function signedInAs() {
    var who = document.querySelector("[data-user]");
    return who ? who.getAttribute("data-user") : "";
  }

  /* A field the agent types or picks: never hidden inputs (the CSRF token), passwords, files or buttons. */
  function typed(field) {
    if (!field || !field.tagName || !field.name || field.disabled || field.name === "csrf") { return false; }
    var tag = field.tagName.toLowerCase();
    if (tag === "textarea") { return true; }
    if (tag === "select") { return !field.multiple; }
    return tag === "input" && TYPED[field.type] === true;
  }

  function typedFields(form) {
    return Array.prototype.filter.call(form.elements, typed);
  }

  function watched(form) {
    var main = document.querySelector("main");
    return form.method === "post" && !!main && main.contains(form) && !NOT_WATCHED[actionOf(form)] &&
      typedFields(form).length > 0;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || form.tagName !== "FORM" || !watched(form)) { return; }
    var fields = {}, anything = false;
    typedFields(form).forEach(function (field) {
      fields[field.name] = field.value;
      anything = anything || field.value.trim() !== "";
    });
    if (anything) {
      write({ page: window.location.pathname, action: actionOf(form), fields: fields, user: signedInAs(),
              at: Date.now() });
    }
  });

  /* The message goes before the form, or first inside it where the form is a cell of a grid or flex row. */
  function announce(form, first) {
    var message = document.createElement("p");
    message.className = "notice";
    message.id = MESSAGE_ID;
    message.setAttribute("role", "status");
    message.textContent = RESTORED;
    var around = form.parentNode ? window.getComputedStyle(form.parentNode).display : "";
    if (/grid|flex/.test(around)) {
      form.insertBefore(message, form.firstChild);
    } else {
      form.parentNode.insertBefore(message, form);
    }
    var described = first.getAttribute("aria-describedby");
    first.setAttribute("aria-describedby", described ? described + " " + MESSAGE_ID : MESSAGE_ID);
  }

  function restore(record) {
    var forms = document.querySelectorAll("main form"), form = null, first = null, i;
    for (i = 0; i < forms.length && !form; i += 1) {
      if (watched(forms[i]) && actionOf(forms[i]) === record.action) { form = forms[i]; }
    }
    if (!form) { return false; }
    typedFields(form).forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(record.fields, field.name)) {
        field.value = String(record.fields[field.name]);
        first = first || field;
      }
    });
    if (first) {
      announce(form, first);
      first.focus();
    }
    return true;
  }

  var record = read();
  if (!record) { return; }
  if (!fresh(record)) { forget(); return; }
  var loginForm = document.querySelector('form[action="/desk/login"]');
  if (loginForm) {
    /* The login page: the form just sent was refused unsaved, so what it held is to be put back. */
    if (document.querySelector("[data-unsent]") && !record.restore) {
      record.restore = true;
      write(record);
    }
    return;
  }
  if (!record.restore) { forget(); return; }  // the form reached a signed-in page: it was received
  if (record.user && signedInAs() && record.user !== signedInAs()) { forget(); return; }
  if (window.location.pathname === record.page && restore(record)) { forget(); }
}());
