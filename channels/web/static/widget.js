/* madoguchi chat widget: one <script src=".../widget.js" data-city="みなと市"></script> on any city page.
   No build step, no CDN. Everything the bot or a resident says is rendered as text, never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src, location.href).origin;
  var cfg = {
    city: script.getAttribute("data-city") || "市役所",
    color: script.getAttribute("data-color") || "#1a5fb4",
    mascot: script.getAttribute("data-mascot") || "",
    title: script.getAttribute("data-title") || "お問い合わせチャット"
  };
  var KEY = "madoguchi:" + base;
  var state = load();

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || { session: null, log: [], open: false }; }
    catch (e) { return { session: null, log: [], open: false }; }
  }
  /* Reading aids the resident switched on (remembered with the conversation): furigana, easy Japanese, large text. */
  function aids() {
    state.aids = state.aids || { furigana: false, easy: false, large_text: false };
    return state.aids;
  }
  function save() {
    state.log = state.log.slice(-60);
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode: no memory */ }
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  /* Text with line breaks and http(s) links, built from text nodes only. */
  function richText(text) {
    var box = el("div", { "class": "mg-text" });
    String(text).split("\n").forEach(function (line, i) {
      if (i) box.appendChild(el("br"));
      line.split(/(https?:\/\/[^\s<>"'）」]+)/).forEach(function (part) {
        if (/^https?:\/\//.test(part)) box.appendChild(outLink(part, part));
        else if (part) box.appendChild(document.createTextNode(part));
      });
    });
    return box;
  }

  /* A link to another site: it opens a new tab, and says so to everyone (screen readers read it as part of the name). */
  function outLink(href, text) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer" },
      [document.createTextNode(text), el("span", { "class": "mg-newtab", lang: lang(), text: tr("newTab", "（新しいタブで開きます）") })]);
  }

  /* Ruby markup from the API, rebuilt node by node: only text, <ruby> and <rt> survive, so an FAQ's text is never
     run as HTML (DOMParser gives an inert document: nothing in it loads or runs). */
  function rubyNodes(markup, text) { /* text(string): the nodes for the text between the <ruby> */
    var out = [];
    new DOMParser().parseFromString("<body>" + markup, "text/html").body.childNodes.forEach(function (node) {
      if (node.nodeName === "RUBY") {
        var rt = node.querySelector("rt"), base = rt ? node.textContent.slice(0, node.textContent.length - rt.textContent.length) : node.textContent;
        out.push(el("ruby", {}, [document.createTextNode(base), el("rt", { "aria-hidden": "true", text: rt ? rt.textContent : "" })]));
      } else out = out.concat(text(node.textContent));
    });
    return out;
  }
  function rubyText(markup) {
    return el("div", { "class": "mg-text" }, rubyNodes(markup, function (t) { return Array.prototype.slice.call(richText(t).childNodes); }));
  }
  /* The same, inline and without links: for a button's label. */
  function rubyLabel(markup) {
    return el("span", { "class": "mg-ruby" }, rubyNodes(markup, function (t) { return [document.createTextNode(t)]; }));
  }
  /* The text a bot message shows with the resident's aids: the easy answer where there is one, with ruby when asked. */
  function shownText(item) {
    var easy = aids().easy && item.easy, ruby = (aids().furigana || item.notice) && (easy ? item.easyRuby : item.ruby);
    return ruby ? rubyText(ruby) : richText(easy ? item.easy : item.text);
  }
  /* The resident's language: the last reply's `language`, else the browser's if the bot speaks it. Texts come
     from widget-lang.js; Japanese (the second argument) when it has not loaded or the language is Japanese. */
  var SPOKEN = { en: "en", zh: "zh-Hans", ko: "ko", vi: "vi", pt: "pt" };
  function browserLanguage() {
    var code = ((navigator.languages && navigator.languages[0]) || navigator.language || "ja").toLowerCase();
    return SPOKEN[code.split("-")[0]] || "ja";
  }
  function lang() { return state.lang || browserLanguage(); }
  function tr(key, japanese, values) {
    var table = window.madoguchiWidgetTexts && window.madoguchiWidgetTexts[lang()];
    var text = (table && table[key]) || japanese;
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function relabel() {
    root.setAttribute("lang", lang());
    input.setAttribute("aria-label", tr("input", "質問を入力"));
    input.setAttribute("placeholder", tr("placeholder", "例: 転入届に必要なものは？"));
    send.textContent = tr("send", "送信");
    close.setAttribute("aria-label", tr("close", "チャットを閉じる"));
    log.setAttribute("aria-label", tr("log", "会話"));
    measure(false);
    if (!script.getAttribute("data-title")) {
      launchText.textContent = "💬 " + tr("launcher", cfg.title);
      title.textContent = cfg.city + " " + tr("launcher", cfg.title);
    }
    aidBar.setAttribute("aria-label", tr("aids", "読みやすくする"));
    Array.prototype.forEach.call(aidBar.children, function (button) { button.textContent = tr(button.dataset.aid, aidLabels[button.dataset.aid]); });
    unreadShown();
  }
  var texts = el("script", { src: base + "/static/widget-lang.js", onload: function () { relabel(); } });

  var sheet = el("link", { rel: "stylesheet", href: base + "/static/widget.css", onload: reveal, onerror: reveal });

  var log = el("div", { "class": "mg-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "会話" });
  var input = el("input", { type: "text", "aria-label": "質問を入力", placeholder: "例: 転入届に必要なものは？", autocomplete: "off",
                            "aria-describedby": "mg-count mg-too-long", oninput: function () { measure(false); } });
  var send = el("button", { type: "submit", text: "送信" });
  var form = el("form", { "class": "mg-bar", onsubmit: function (e) { e.preventDefault(); ask({ text: input.value }); } }, [input, send]);
  /* Under the input: a counter once the text nears the server's limit, and (announced) that it is over it. */
  var count = el("span", { "class": "mg-count", id: "mg-count" });
  var tooLong = el("p", { "class": "mg-too-long", id: "mg-too-long", role: "status", "aria-live": "polite" });
  var barNote = el("div", { "class": "mg-bar-note" }, [tooLong, count]);
  var close = el("button", { type: "button", "aria-label": "チャットを閉じる", text: "×", onclick: function () { toggle(false); } });
  var title = el("h2", { id: "mg-title", text: cfg.city + " " + cfg.title });
  var head = el("div", { "class": "mg-head" }, [
    cfg.mascot ? el("img", { src: cfg.mascot, alt: "" }) : null,
    title, close]);
  var aidLabels = { furigana: "ふりがな", easy: "やさしい日本語", large_text: "大きな文字" };
  var aidBar = el("div", { "class": "mg-aids", role: "group", "aria-label": "読みやすくする" },
    Object.keys(aidLabels).map(function (name) { return aidSwitch(name, aidLabels[name]); }));
  var panel = el("div", { "class": "mg-panel", role: "dialog", "aria-labelledby": "mg-title", hidden: "" }, [head, aidBar, log, form, barNote]);
  /* The launcher: its label, and a badge with the number of people's replies that came while the panel was
     closed (to the eye; screen readers hear it as part of the button's name, after the visible label). */
  var launchText = el("span", { text: "💬 " + cfg.title });
  var badge = el("span", { "class": "mg-badge", "aria-hidden": "true", hidden: "" });
  var unreadNote = el("span", { "class": "mg-sr" });
  var launcher = el("button", { "class": "mg-launch", type: "button", "aria-expanded": "false",
    onclick: function () { toggle(panel.hidden); } }, [launchText, badge, unreadNote]);
  var arrived = el("p", { "class": "mg-sr", role: "status", "aria-live": "polite" }); /* said when such a reply comes */
  var root = el("div", { "class": "mg-root", lang: "ja", hidden: "" }, [sheet, panel, launcher, arrived]);
  root.classList.toggle("mg-large", !!aids().large_text);
  root.style.setProperty("--mg", cfg.color); /* CSSOM, not a style attribute: allowed by a strict CSP */
  /* Escape closes the open panel wherever focus is. At phone widths the open panel covers the page, so it is
     modal: Tab cycles inside it and focus that lands on the page beneath comes back to the input. */
  var phone = window.matchMedia("(max-width: 40rem)");
  function modal() { return !panel.hidden && phone.matches; }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) { toggle(false); return; }
    if (e.key === "Tab" && modal()) cycle(e);
  });
  document.addEventListener("focusin", function (e) { if (modal() && !panel.contains(e.target)) input.focus(); });
  function cycle(e) {
    var all = Array.prototype.filter.call(panel.querySelectorAll("button, input, a[href], [tabindex='0']"),
      function (n) { return !n.disabled && n.getClientRects().length; });
    var first = all[0], last = all[all.length - 1];
    if (!panel.contains(document.activeElement)) { e.preventDefault(); input.focus(); }
    else if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }
  /* After a button (a choice, 👍/👎, the contact form) the button is gone or disabled: focus goes to what
     answers it, scrolled to its start, so a keyboard or screen-reader user reads on from there. */
  function land(box) {
    box.setAttribute("tabindex", "-1");
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: "start" });
  }

  /* The longest question the server takes (MADOGUCHI_MAX_TEXT_CHARS; 500 unless the city changed it). The
     server is the authority: its published schema is read once a text grows long, and a refusal as too long
     says its limit too. Nothing is cut: a long paste stays whole in the input, with a counter near the limit
     and, over it, a note that asks to shorten it; such a text is not sent (it would be refused and lost). */
  var limit = { max: 500, asked: false };
  function chars(text) { return Array.from(String(text).trim()).length; } /* code points, as the server counts */
  function learnLimit() {
    if (limit.asked) return;
    limit.asked = true;
    fetch(base + "/openapi.json").then(function (r) { return r.ok ? r.json() : null; }).then(function (api) {
      var ref = api.paths["/api/v1/ask"].post.requestBody.content["application/json"].schema.$ref.split("/").pop();
      var max = api.components.schemas[ref].properties.text.maxLength;
      if (max > 0) { limit.max = max; measure(false); }
    }).catch(function () { /* the refusal still tells the limit */ });
  }
  function over() { return chars(input.value) > limit.max; }
  function measure(again, message) { /* again: say the note once more (Enter pressed on a text still too long) */
    var n = chars(input.value);
    if (n >= limit.max / 2) learnLimit();
    count.textContent = n >= limit.max * 0.8 ? tr("count", "{n} / {max}文字", { n: n, max: limit.max }) : "";
    if (n > limit.max) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    var said = message || (n > limit.max ? tr("tooLong", "入力が長すぎます（{max}文字まで）。短くしてから送信してください。", { max: limit.max }) : "");
    if (tooLong.textContent !== said) tooLong.textContent = said;
    else if (again && said) { tooLong.textContent = ""; setTimeout(function () { tooLong.textContent = said; }, 150); }
  }
  /* The server refused the text as too long: its limit (422 on `text`, "at most N characters") or its body size (413). */
  function refusedAsTooLong(err) {
    if (!(err instanceof Told)) return null;
    if (err.status === 413) return tr("tooLongBytes", "入力が長すぎます。短くしてから送信してください。");
    var found = null;
    err.detail.forEach(function (d) {
      var most = d && d.field === "text" && /at most (\d+) character/.exec(String(d.problem));
      if (most) found = Number(most[1]);
    });
    if (found === null) return null;
    limit.max = found;
    return tr("tooLong", "入力が長すぎます（{max}文字まで）。短くしてから送信してください。", { max: found });
  }

  function reveal() { root.hidden = false; log.scrollTop = log.scrollHeight; } /* once styled (or if the sheet fails): no flash of bare buttons; open at the newest */
  function toggle(open) {
    panel.hidden = !open;
    root.classList.toggle("mg-open", open); /* a short screen: the full-height panel hides the launcher */
    launcher.setAttribute("aria-expanded", String(open));
    if (open && phone.matches) panel.setAttribute("aria-modal", "true"); else panel.removeAttribute("aria-modal");
    state.open = open; save();
    if (open) { input.focus(); if (!log.childNodes.length) greet(); log.scrollTop = log.scrollHeight; read(); poll(); } else launcher.focus();
  }
  /* People's replies that came while the panel was closed: counted on the launcher until it is opened, then
     the log shows the first of them from its start. */
  function unreadShown() {
    var n = state.unread || 0;
    badge.hidden = !n;
    badge.textContent = n ? String(n) : "";
    unreadNote.textContent = n ? tr("unread", "（担当者からの返信 {n} 件）", { n: n }) : "";
  }
  function read() {
    var first = null;
    Array.prototype.forEach.call(log.children, function (box) {
      if (box.mgItem && box.mgItem.unread) { first = first || box; delete box.mgItem.unread; }
    });
    if (first) toStart(first);
    state.unread = 0; arrived.textContent = ""; unreadShown(); save();
  }
  /* People's replies to escalations: fetched while any hand-over of this session waits, the panel open or closed. */
  function waiting() { return (state.pending || []).length > 0 || state.waiting === true; }
  function poll() {
    if (!waiting() || !state.session) return;
    fetch(base + "/api/v1/replies?session_id=" + encodeURIComponent(state.session)).then(function (r) { return r.ok ? r.json() : { replies: [] }; })
      .then(function (data) {
        state.seen = state.seen || [];
        data.replies.forEach(function (r) {
          state.pending = (state.pending || []).filter(function (id) { return id !== r.escalation_id; });
          state.waiting = false; /* a hand-over remembered by an older widget: its reply has come */
          if (state.seen.indexOf(r.escalation_id) >= 0) return;
          state.seen.push(r.escalation_id);
          var box = show({ who: "bot", text: r.text, lang: r.language, unread: panel.hidden || undefined,
                           meta: tr("reply", "担当者からの回答") + (r.question ? tr("replyTo", "（ご質問「{q}」へ）", { q: r.question }) : "") }, true);
          if (!panel.hidden) { toStart(box); return; }
          state.unread = (state.unread || 0) + 1;
          unreadShown();
          arrived.textContent = tr("arrived", "担当者からの返信が届きました（{n} 件）。チャットを開いてご覧ください。", { n: state.unread });
        });
        save();
      }, function () { /* offline: try again at the next tick */ });
  }
  setInterval(poll, 15000);
  function greet() {
    show({ who: "bot", text: tr("greeting", "こんにちは。{city}のお問い合わせ窓口です。ご質問を短い文で入力してください。", { city: cfg.city }) }, true);
  }
  /* Who says each message, for screen readers (the bubbles' side and colour say it to the eye). */
  function speaker(who) { /* in the widget's language, also inside a Japanese-only answer (lang="ja") */
    return el("span", { "class": "mg-sr", lang: lang(), text: who === "user" ? tr("you", "あなた:") : tr("desk", "窓口:") });
  }
  /* A long reply is read from its start: the log scrolls there, not to its end (the newest short one still shows whole). */
  function toStart(box) {
    log.scrollTop += box.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
  }
  function show(item, remember) {
    var box = el("div", { "class": "mg-msg mg-" + item.who + (item.urgent ? " mg-urgent" : "") }, [speaker(item.who)]);
    if (item.lang) box.setAttribute("lang", item.lang); /* "ja" under a foreign question: the entry has no translation */
    if (item.notice) box.appendChild(el("div", { "class": "mg-notice", text: item.notice }));
    if (item.noEasy && aids().easy) box.appendChild(noEasyNote());
    box.appendChild(item.who === "bot" ? shownText(item) : richText(item.text));
    if (item.meta) box.appendChild(el("div", { "class": "mg-meta" }, [richText(item.meta)]));
    if (item.url) box.appendChild(el("div", { "class": "mg-meta" }, [outLink(item.url, tr("more", "くわしくはこちら（市のページ）"))]));
    controls(item.act || {}).forEach(function (x) { if (x) box.appendChild(x); });
    log.appendChild(box);
    box.mgItem = item;
    if (muted && !drawing) unheard.push(item);
    log.scrollTop = log.scrollHeight;
    if (remember) { state.log.push(item); save(); }
    if (remember && item.who === "bot" && aids().furigana && !item.ruby) setTimeout(withRuby, 0); /* e.g. a person's reply */
    return box;
  }
  /* What the resident can still do with a message (kept in `act`, so a reload restores it): pick a choice,
     vote, leave contact details, ask for a person. Used or stale controls come back disabled. */
  function controls(act) {
    return [act.choices ? choicesOf(act) : null, act.vote !== undefined ? voteOf(act) : null,
            act.contact ? contactForm(act) : null, act.handover ? handoverOf(act) : null,
            act.comment !== undefined ? commentForm(act) : null];
  }
  /* With やさしい日本語 on, an answer the city wrote no easy version of says so (in the widget's language;
     the Japanese one with its readings when ふりがな is on too). */
  var NO_EASY = "この回答には、やさしい日本語の版がありません。";
  var NO_EASY_RUBY = "この<ruby>回答<rt>かいとう</rt></ruby>には、やさしい<ruby>日本語<rt>にほんご</rt></ruby>の<ruby>版<rt>はん</rt></ruby>がありません。";
  function noEasyNote() {
    var text = tr("noEasy", NO_EASY), note = el("div", { "class": "mg-no-easy", lang: lang() });
    if (aids().furigana && text === NO_EASY) note.appendChild(rubyLabel(NO_EASY_RUBY)); else note.textContent = text;
    return note;
  }
  function disable(wrap) { wrap.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }
  function choicesOf(act) {
    var wrap = el("div", { "class": "mg-choices mg-offer", role: "group", "aria-label": tr("choices", "候補") });
    act.choices.forEach(function (c, i) {
      /* With ふりがな, the label with its readings; the name stays the plain label (not read twice). */
      var plain = (i + 1) + ". " + c.label, ruby = aids().furigana && c.label_ruby;
      var button = el("button", { type: "button", text: ruby ? (i + 1) + ". " : plain, onclick: function () {
        disable(wrap); ask({ choice_id: c.id, label: c.label, land: true, language: act.language });
      } }, ruby ? [rubyLabel(c.label_ruby)] : null);
      if (ruby) button.setAttribute("aria-label", plain);
      button.disabled = !!act.picked;
      wrap.appendChild(button);
    });
    return wrap;
  }
  function voteOf(act) {
    var wrap = el("div", { "class": "mg-vote", role: "group", "aria-label": tr("solved", "解決しましたか？") }, [el("span", { text: tr("solved", "解決しましたか？") })]);
    [[tr("yes", "👍 はい"), true], [tr("no", "👎 いいえ"), false]].forEach(function (v) {
      var button = el("button", { type: "button", text: v[0], onclick: function () {
        disable(wrap);
        post("/api/v1/feedback", { session_id: state.session, turn_id: act.vote, helpful: v[1] }).then(function () {
          act.voted = v[1];
          land(show({ who: "bot", text: v[1] ? tr("thanks", "ありがとうございます。") : tr("sorry", "お役に立てず申し訳ありません。担当者につなぐこともできます。"),
                      act: v[1] ? {} : { handover: true, comment: act.vote } }, true));
        }, function (err) {
          wrap.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
          show({ who: "bot", text: said(err) });
        });
      } });
      button.disabled = act.voted === true || act.voted === false;
      wrap.appendChild(button);
    });
    return wrap;
  }
  function handoverOf(act) {
    var button = el("button", { type: "button", "class": "mg-handover", text: tr("handover", "担当者につなぐ"), onclick: function () {
      handedOver(); ask({ text: tr("handoverText", "担当者と話したい"), land: true });
    } });
    button.disabled = !!act.used;
    return el("div", { "class": "mg-choices" }, [button]);
  }
  /* Once the resident is put through to a person, no 「担当者につなぐ」 in the log can be pressed again. */
  function handedOver() {
    state.log.forEach(function (item) { if (item.act && item.act.handover) item.act.used = true; });
    log.querySelectorAll(".mg-handover").forEach(function (b) { b.disabled = true; });
    save();
  }
  /* After 👎: an optional word on what was unclear, sent as the same 👎 again with it (the server keeps the
     later one, masked for personal data). Once sent, a thanks stays in its place. */
  function commentForm(act) {
    if (act.commented) return el("div", { "class": "mg-meta", text: tr("commentThanks", "ご意見ありがとうございます。今後の改善に役立てます。") });
    var field = el("input", { type: "text", autocomplete: "off" });
    var problems = el("div", { "class": "mg-problems", role: "status", "aria-live": "polite" });
    var f = el("form", { "class": "mg-form", "data-form": "comment" }, [labelled(tr("commentAsk", "よろしければ、どこが分からなかったか教えてください（任意）"), field),
      problems, el("button", { type: "submit", text: tr("commentSend", "コメントを送信") })]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!field.value.trim()) { field.focus(); return; }
      post("/api/v1/feedback", { session_id: state.session, turn_id: act.comment, helpful: false, comment: field.value.trim() }).then(function () {
        act.commented = true; save();
        var done = commentForm(act);
        f.replaceWith(done); land(done);
      }, function (err) {
        if (err instanceof Told && err.status === 422) fieldProblems(err.detail, { comment: field }, problems);
        else problems.textContent = said(err);
      });
    });
    return f;
  }
  function labelled(text, field) { return el("label", {}, [el("span", { text: text }), field]); } /* a visible label */
  /* The contact form, only until this session's details were sent (later hand-overs keep them). */
  function contactForm(act) {
    if (act.sent) return el("div", { "class": "mg-meta", text: tr("sent", "連絡先を受け付けました。担当者から連絡します。") });
    if (act.known) return el("div", { "class": "mg-meta", text: tr("known", "先ほどお預かりした連絡先に、担当者から連絡します。") });
    var name = el("input", { type: "text", autocomplete: "name" });
    var email = el("input", { type: "email", autocomplete: "email" });
    var phone = el("input", { type: "tel", autocomplete: "tel" });
    var problems = el("div", { "class": "mg-problems", role: "status", "aria-live": "polite" });
    var f = el("form", { "class": "mg-form", "data-form": "contact", "aria-label": tr("formIntro", "返信の希望") }, [
      el("span", { text: tr("formIntro", "返信をご希望の場合は、連絡先を入力してください（任意）。") }), labelled(tr("name", "お名前（任意）"), name),
      labelled(tr("email", "メールアドレス"), email), labelled(tr("phone", "電話番号（折り返し希望の場合）"), phone),
      problems, el("button", { type: "submit", text: tr("submit", "送信する") })]);
    var fields = { name: name, email: email, phone: phone };
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { session_id: state.session, name: name.value, email: email.value, phone: phone.value, preferred: email.value ? "email" : "phone" };
      post("/api/v1/escalations/" + encodeURIComponent(act.contact) + "/contact", body).then(function () {
        act.sent = true; state.contactSent = true; save();
        var done = contactForm(act);
        f.replaceWith(done); land(done);
      }, function (err) {
        if (err instanceof Told && err.status === 422) fieldProblems(err.detail, fields, problems);
        else show({ who: "bot", text: said(err) });
      });
    });
    return f;
  }
  /* The server's reasons for refusing the contact details, in the form's error area (announced), each naming its
     field; the field is marked invalid and described by its reason. */
  var problemIds = 0;
  function fieldProblems(detail, fields, area) {
    Object.keys(fields).forEach(function (k) { fields[k].removeAttribute("aria-invalid"); fields[k].removeAttribute("aria-describedby"); });
    while (area.firstChild) area.removeChild(area.firstChild);
    var said = {};
    (detail.length ? detail : [{ field: "", problem: "" }]).forEach(function (d) {
      var why = contactProblem(String(d.field || ""), String(d.problem || ""));
      if (said[why.text]) return;
      var line = el("p", { id: "mg-problem-" + (++problemIds), text: why.text });
      said[why.text] = true;
      area.appendChild(line);
      why.fields.forEach(function (k) {
        fields[k].setAttribute("aria-invalid", "true");
        fields[k].setAttribute("aria-describedby", ((fields[k].getAttribute("aria-describedby") || "") + " " + line.id).trim());
      });
    });
  }
  function contactProblem(field, problem) {
    var labels = { name: tr("nameField", "お名前"), email: tr("email", "メールアドレス"), phone: tr("phoneField", "電話番号"),
                   comment: tr("commentField", "コメント") };
    var most = /at most (\d+) character/.exec(problem);
    if (!labels[field]) {
      if (/no (email|phone) was given/.test(problem)) return { fields: ["email", "phone"], text: tr("reachable", "メールアドレスか電話番号のどちらかを入力してください。") };
      return { fields: [], text: tr("check", "入力内容をご確認ください。") + (problem ? " (" + problem + ")" : "") };
    }
    var text = most ? tr("fieldTooLong", "{field}が長すぎます（{max}文字まで）。", { field: labels[field], max: most[1] })
      : field === "email" && /pattern/.test(problem) ? tr("emailBad", "メールアドレスの形式が正しくありません（例: taro@example.jp）。")
      : field === "phone" && /pattern/.test(problem) ? tr("phoneBad", "電話番号は数字で入力してください（6〜40文字。ハイフン・かっこも使えます）。")
      : labels[field] + ": " + problem; /* a reason the widget does not know: the server's words */
    return { fields: [field], text: text };
  }
  function render(reply) {
    if (reply.language) { state.lang = reply.language; relabel(); }
    var act = { language: reply.language };
    if (reply.decision === "answer") act.vote = reply.turn_id;
    if (reply.decision === "clarify") act.choices = reply.choices;
    if (reply.decision === "escalate" && reply.escalation) {
      handedOver();
      act.contact = reply.escalation.id; act.known = !!state.contactSent;
      state.pending = (state.pending || []).concat([reply.escalation.id]);
    }
    var a = reply.answer;
    var meta = a ? tr("contact", "担当") + ": " + (a.contact || a.department) : "";
    var text = reply.decision === "clarify" ? reply.message.split("\n")[0] : (a ? a.text : reply.message);
    var ruby = reply.decision === "clarify" ? (reply.message_ruby || "").split("\n")[0] : (a ? a.text_ruby : reply.message_ruby);
    if (reply.urgent) { /* the public line to call, before anything else (bot/urgent.py) */
      var first = show({ who: "bot", text: reply.urgent.text, urgent: true, act: a ? {} : act }, true);
      if (!a) return first;
    }
    var box = show({ who: "bot", text: text, meta: meta, url: a && a.url, act: act, easy: a && a.text_easy,
                     ruby: ruby || undefined, easyRuby: a && a.text_easy_ruby, lang: reply.answer_language || "ja",
                     notice: a && a.notice, noEasy: (a && !a.text_easy) || undefined }, true);
    return first || box;
  }
  /* What a resident reads when the server answers an error: in the widget's language, never the server's own
     (English) text. */
  var TROUBLE = { 404: ["lost", "お問い合わせが見つかりませんでした。もう一度ご質問ください。"], 409: ["stale", "この選択肢は選べなくなりました。もう一度ご質問ください。"],
                  413: ["tooLongBytes", "入力が長すぎます。短くしてお送りください。"], 422: ["check", "入力内容をご確認ください。"],
                  429: ["tooFast", "送信が続いています。しばらく待ってからお試しください。"] };
  function trouble(status) {
    var t = TROUBLE[status] || (status >= 500 ? ["busy", "ただいまつながりにくくなっています。しばらくしてからもう一度お試しください。"]
      : ["failed", "送信できませんでした。もう一度お試しください。"]);
    return tr(t[0], t[1]);
  }
  /* An error already worded for the resident, with the server's status and `detail` ([{field, problem}]). */
  function Told(message, status, detail) { this.message = message; this.status = status || 0; this.detail = detail || []; }
  function said(err) { return err instanceof Told ? err.message : trouble(0); } /* never a browser's own English text */
  function post(path, body) {
    return fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        if (r.status === 204) return null;
        if (!r.ok) return r.json().then(function (b) { return b && Array.isArray(b.detail) ? b.detail : []; }, function () { return []; })
          .then(function (detail) { throw new Told(trouble(r.status), r.status, detail); });
        return r.json().catch(function () { throw new Told(trouble(502)); });
      }, function () { throw new Told(tr("offline", "通信できませんでした。接続を確認して、もう一度お試しください。")); });
  }
  function ask(req) {
    var text = (req.text || "").trim();
    if (!req.choice_id && !text) { input.focus(); return; }
    if (!req.choice_id && over()) { measure(true); input.focus(); return; }
    state.log.forEach(function (item) { if (item.act && item.act.choices) item.act.picked = true; }); /* one offer at a time */
    log.querySelectorAll(".mg-offer").forEach(disable);
    var mine = { who: "user", text: req.label || text }, mineBox = show(mine, true);
    if (!req.choice_id) { input.value = ""; measure(false); }
    var typing = show({ who: "bot", text: tr("typing", "入力中…") });
    typing.classList.add("mg-typing");
    typing.setAttribute("aria-label", tr("preparing", "回答を準備しています"));
    var body = { session_id: state.session || undefined, furigana: aids().furigana || undefined };
    if (text) body.text = text;
    if (req.choice_id) body.choice_id = req.choice_id;
    if (req.choice_id && req.language) body.language = req.language;
    post("/api/v1/ask", body).then(function (reply) {
      typing.remove(); state.session = reply.session_id; save();
      var box = render(reply);
      if (req.land) land(box); else toStart(box);
    }, function (err) {
      typing.remove();
      var long = text && !req.choice_id && refusedAsTooLong(err);
      if (long) { /* not received: the question leaves the log and goes back to the input, to be shortened */
        mineBox.remove(); state.log = state.log.filter(function (item) { return item !== mine; }); save();
        if (!input.value) input.value = text;
        measure(true, chars(input.value) > limit.max ? "" : long); input.focus();
        return;
      }
      var box = show({ who: "bot", text: said(err) }, false);
      if (req.land) land(box);
    });
  }

  /* The three switches: pressed state for screen readers, remembered in localStorage, the log redrawn. */
  function aidSwitch(name, label) {
    var button = el("button", { type: "button", "class": "mg-aid", "data-aid": name, "aria-pressed": String(!!aids()[name]), text: label,
      onclick: function () {
        aids()[name] = !aids()[name]; save();
        button.setAttribute("aria-pressed", String(aids()[name]));
        root.classList.toggle("mg-large", !!aids().large_text);
        if (name !== "large_text") { redraw(); withRuby(); } /* larger text is the stylesheet's alone */
      } });
    return button;
  }
  /* The log redrawn for a reading aid, with its live region muted: a screen reader would otherwise read every
     earlier message again. It speaks again once the browser has drawn a frame (and passed the redrawn log to
     the accessibility tree, muted) and a moment more; a message that came in meanwhile is put in again then,
     so it is still read out. The forms still open (contact details, a comment) are moved over as they are,
     with what was typed, the errors shown and the focus: nothing typed is kept anywhere else. */
  var muted = 0, drawing = false, unheard = [];
  function redraw() {
    muted++; log.setAttribute("aria-live", "off");
    drawing = true;
    var forms = new Map(), focused = log.contains(document.activeElement) ? document.activeElement : null;
    var caret = focused && focused.nodeName === "INPUT" ? [focused.selectionStart, focused.selectionEnd] : null;
    Array.prototype.forEach.call(log.children, function (box) {
      if (box.mgItem) forms.set(box.mgItem, Array.prototype.slice.call(box.querySelectorAll("form[data-form]")));
    });
    while (log.firstChild) log.removeChild(log.firstChild);
    state.log.forEach(function (item) {
      var box = show(item, false);
      (forms.get(item) || []).forEach(function (typed) {
        var fresh = box.querySelector("form[data-form='" + typed.getAttribute("data-form") + "']");
        if (fresh) fresh.replaceWith(typed);
      });
    });
    drawing = false;
    if (focused && log.contains(focused)) {
      focused.focus({ preventScroll: true });
      if (caret) try { focused.setSelectionRange(caret[0], caret[1]); } catch (e) { /* type=email has no caret to set */ }
    }
    requestAnimationFrame(function () { setTimeout(unmute, 250); });
  }
  function unmute() {
    if (--muted) return;
    log.setAttribute("aria-live", "polite");
    var items = unheard.splice(0);
    Array.prototype.slice.call(log.children).forEach(function (box) {
      if (items.indexOf(box.mgItem) < 0) return;
      var focused = box.contains(document.activeElement) ? document.activeElement : null, next = box.nextSibling;
      log.removeChild(box); log.insertBefore(box, next);
      if (focused) focused.focus({ preventScroll: true });
    });
  }
  /* Messages shown before furigana was switched on (and the widget's own greeting) get their readings afterwards. */
  function withRuby() {
    if (!aids().furigana) return;
    var wanted = [];
    var labels = []; /* choice buttons' labels after the messages, the newest offer first */
    state.log.forEach(function (item) {
      if (item.who !== "bot") return;
      if (!item.ruby) wanted.push([item, "ruby", item.text]);
      if (item.easy && !item.easyRuby) wanted.push([item, "easyRuby", item.easy]);
      ((item.act && item.act.choices) || []).forEach(function (c) { if (!c.label_ruby) labels.unshift([c, "label_ruby", c.label]); });
    });
    wanted = wanted.concat(labels);
    if (!wanted.length) return;
    post("/api/v1/furigana", { texts: wanted.slice(0, 30).map(function (w) { return w[2].slice(0, 4000); }) }).then(function (data) {
      wanted.slice(0, 30).forEach(function (w, i) { w[0][w[1]] = data.ruby[i]; });
      save(); redraw();
    }, function () { /* readings are a help: without them the text is still shown */ });
  }

  function start() {
    document.body.appendChild(root);
    document.head.appendChild(texts);
    state.log.forEach(function (item) { show(item, false); });
    unreadShown();
    if (state.open) { panel.hidden = false; root.classList.add("mg-open"); launcher.setAttribute("aria-expanded", "true"); log.scrollTop = log.scrollHeight; read(); }
    poll();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
