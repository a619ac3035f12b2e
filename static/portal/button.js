/* Support Portal "get remote help" button, for ANY web page (docs/decisions/0075-get-help-button.md).

   One script tag where the button should appear:

     <script src="https://support.example.com/static/portal/button.js" async
             data-external-key="INC0012345" data-name="Jane Doe"></script>

   It draws a real <button> (in a shadow root, with its own styles: nothing of the host page's
   CSS reaches it, nothing of ours leaks out) and, below it, whether help is available now: open
   or closed by the site's opening hours, and how many representatives are online (a count,
   never a name), from /button/availability.json. Clicking opens the portal with the page's
   prefill values: data-key, data-name, data-company, data-company-code, data-details,
   data-issue, data-external-key, data-email, data-customer-number, data-cf-<code_name>; or a
   signed link from your server in data-signed-link (a link to the portal only). data-flow
   ("survey", "key", "home") picks the page; without it a key opens the key page, other
   values the survey, none the home page. data-locale (else the page's <html lang>) picks the
   language among the site's, else the site's default.

   On an origin listed in the site's allowed embedding origins the availability is readable
   (CORS) and the portal opens in an overlay on the page (data-open="tab" for a new tab
   instead): a modal dialog, Esc or Close ends it and focus returns to the button. Anywhere
   else the button opens the portal in a new tab and shows no availability: the portal tells
   its state only to the sites its admin listed.

   Host page Content-Security-Policy: allow the portal in script-src, connect-src and
   frame-src. No inline script or style is needed (the styles are a constructed stylesheet,
   the brand colour a CSSOM property). No cookies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.fetch || !Element.prototype.attachShadow || !window.HTMLDialogElement) return;
  var PORTAL = new URL(script.src, window.location.href).origin;
  var PREFILL = ["key", "name", "company", "company_code", "details", "issue", "external_key", "email",
    "customer_number"];
  // The label and its new-tab hint when the availability cannot be read (an origin the site
  // does not list): the catalogs' own translations (tests/test_button.py checks them).
  var FALLBACK = {
    "en-us": ["Get remote help", "(opens in a new tab)"],
    "de": ["Remote-Hilfe anfordern", "(öffnet sich in einem neuen Tab)"],
    "es": ["Obtener ayuda remota", "(se abre en una pestaña nueva)"],
    "es-sp": ["Obtener ayuda remota", "(se abre en una pestaña nueva)"],
    "fi": ["Pyydä etätukea", "(avautuu uuteen välilehteen)"],
    "fr": ["Obtenir une assistance à distance", "(s'ouvre dans un nouvel onglet)"],
    "it": ["Richiedi assistenza remota", "(si apre in una nuova scheda)"],
    "nl": ["Hulp op afstand krijgen", "(opent in een nieuw tabblad)"],
    "pt-br": ["Obter ajuda remota", "(abre em uma nova aba)"],
    "pt-pt": ["Obter ajuda remota", "(abre num novo separador)"],
    "sv-se": ["Få fjärrhjälp", "(öppnas i en ny flik)"],
    "tr": ["Uzaktan yardım alın", "(yeni sekmede açılır)"],
    "ja": ["リモートサポートを受ける", "（新しいタブで開きます）"],
    "zh-hans": ["获取远程帮助", "（在新标签页中打开）"],
    "zh": ["取得遠端協助", "（在新分頁中開啟）"],
    "ru": ["Получить удалённую помощь", "(откроется в\u00a0новой вкладке)"]
  };
  var ALIASES = { en: "en-us", "es-es": "es-sp", pt: "pt-br", sv: "sv-se", "zh-cn": "zh-hans", "zh-sg": "zh-hans",
    "zh-tw": "zh", "zh-hk": "zh", "zh-hant": "zh" };
  var CSS = [
    ":host{display:inline-block;font:inherit;color:inherit}",
    ".box{display:inline-flex;flex-direction:column;align-items:flex-start;gap:.35em}",
    ".open{font:inherit;font-weight:600;padding:.6em 1.1em;border:2px solid transparent;border-radius:.4em;",
    "background:var(--sp-brand,#1a5fb4);color:#fff;cursor:pointer}",
    ".open:hover{filter:brightness(.92)}",
    ".open:focus-visible,.close:focus-visible{outline:3px solid #1d1d1f;outline-offset:2px;box-shadow:0 0 0 5px #fff}",
    ".status{font-size:.95em;min-height:1.2em}",
    ".hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "dialog{width:min(720px,96vw);height:min(90vh,900px);max-height:96vh;padding:0;border:0;border-radius:.5em;",
    "background:var(--sp-bg,#fff);color:var(--sp-text,#1d1d1f);color-scheme:var(--sp-scheme,normal);",
    "box-shadow:0 10px 40px rgba(0,0,0,.35)}",
    "dialog[open]{display:flex;flex-direction:column}",
    "dialog::backdrop{background:rgba(0,0,0,.55)}",
    ".bar{display:flex;align-items:center;justify-content:space-between;gap:1em;padding:.5em .75em;",
    "border-bottom:1px solid var(--sp-rule,#d0d3d8)}",
    ".title{margin:0;font-weight:600}",
    ".close{font:inherit;padding:.4em .9em;border:1px solid var(--sp-border,#5c6370);border-radius:.4em;",
    "background:var(--sp-bg,#fff);color:var(--sp-text,#1d1d1f);",
    "cursor:pointer}",
    "iframe{flex:1;width:100%;border:0;background:var(--sp-bg,#fff)}"
  ].join("");

  function data(name) { return script.getAttribute("data-" + name) || ""; }

  function language(tag) {
    tag = String(tag || "").toLowerCase().replace(/_/g, "-");
    var subtags = tag.split("-"), primary = subtags[0];
    // language-script-region ("zh-hans-cn"): the script decides before the language alone
    var script = subtags.length > 2 ? subtags[0] + "-" + subtags[1] : "";
    var candidates = [tag, ALIASES[tag], script, ALIASES[script], ALIASES[primary], primary];
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] && FALLBACK[candidates[i]]) return candidates[i];
    }
    return "en-us";
  }

  function prefillPairs() {
    var pairs = [];
    for (var i = 0; i < script.attributes.length; i++) {
      var attribute = script.attributes[i];
      if (attribute.name.indexOf("data-") !== 0 || !attribute.value) continue;
      var name = attribute.name.slice(5).replace(/-/g, "_");
      if (PREFILL.indexOf(name) !== -1 || /^cf_[a-z0-9_]+$/.test(name)) pairs.push([name, attribute.value]);
    }
    return pairs;
  }

  // The portal address the button opens: always on the portal's own origin.
  function portalUrl(locale, overlay) {
    var url = null;
    if (data("signed-link")) {
      try { url = new URL(data("signed-link"), PORTAL + "/"); } catch (e) { url = null; }
      if (url && url.origin !== PORTAL) url = null; // never a way to send customers elsewhere
    }
    if (!url) {
      var pairs = prefillPairs();
      var flow = data("flow");
      var hasKey = pairs.some(function (pair) { return pair[0] === "key"; });
      var path = { survey: "survey/", key: "key/", home: "" }[flow];
      if (path === undefined) path = hasKey ? "key/" : pairs.length ? "survey/" : "";
      url = new URL(PORTAL + "/" + path);
      pairs.forEach(function (pair) { url.searchParams.append(pair[0], pair[1]); });
    }
    if (locale) url.searchParams.set("locale", locale);
    if (overlay) url.searchParams.set("embed", "1");
    else url.searchParams.delete("embed");
    return url.href;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // The button's own DOM, in a shadow root next to the script tag.
  var host = element("span");
  host.setAttribute("data-support-portal-button", "");
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow({ mode: "open" });
  // A constructed stylesheet: no <style> element, so no host page's CSP has to allow it.
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  }
  var box = element("div", "box");
  var open = element("button", "open");
  open.type = "button";
  var label = element("span", "label");
  var hint = element("span", "hidden");
  open.appendChild(label);
  open.appendChild(hint);
  var status = element("span", "status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  box.appendChild(open);
  box.appendChild(status);
  root.appendChild(box);

  var dialog = null, frame = null, closer = null;
  var state = { overlay: false, locale: "", texts: null, scheme: "light", dark: null };

  function buildDialog(texts) {
    dialog = element("dialog");
    dialog.setAttribute("aria-label", texts.title);
    var bar = element("div", "bar");
    bar.appendChild(element("p", "title", texts.title));
    closer = element("button", "close", texts.close);
    closer.type = "button";
    bar.appendChild(closer);
    frame = element("iframe");
    frame.title = texts.title;
    frame.setAttribute("sandbox", "allow-forms allow-scripts allow-same-origin " +
      "allow-top-navigation-by-user-activation allow-popups");
    // Tab past the frame's last control comes back to Close: focus stays in the dialog.
    var wrap = element("span");
    wrap.tabIndex = 0;
    dialog.appendChild(bar);
    dialog.appendChild(frame);
    dialog.appendChild(wrap);
    root.appendChild(dialog);
    closer.addEventListener("click", function () { dialog.close(); });
    wrap.addEventListener("focus", function () { closer.focus(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Tab" && event.shiftKey && root.activeElement === closer) {
        event.preventDefault();
        frame.focus();
      }
    });
    dialog.addEventListener("close", function () {
      frame.removeAttribute("src");
      open.focus(); // back where the customer was
    });
    window.addEventListener("message", function (event) {
      // Esc pressed inside the portal (portal.js tells its allowed host pages).
      if (event.source === frame.contentWindow && event.origin === PORTAL && event.data &&
          event.data.type === "support-portal:escape" && dialog.open) dialog.close();
    });
  }

  open.addEventListener("click", function () {
    if (state.overlay) {
      frame.src = portalUrl(state.locale, true);
      dialog.showModal();
      closer.focus();
    } else {
      window.open(portalUrl(state.locale, false), "_blank", "noopener");
    }
  });

  function show(document_) {
    var texts = document_.texts;
    state.locale = document_.language;
    state.texts = texts;
    box.lang = document_.lang;
    if (/^#[0-9a-fA-F]{6}$/.test(document_.color || "")) host.style.setProperty("--sp-brand", document_.color);
    state.scheme = document_.scheme;
    state.dark = document_.dark;
    overlayScheme();
    label.textContent = texts.label;
    if (!dialog) {
      state.overlay = data("open") !== "tab";
      if (state.overlay) buildDialog(texts);
    }
    hint.textContent = state.overlay ? "" : " " + texts.new_tab;
    status.textContent = texts.online ? texts.status + " " + texts.online : texts.status;
    box.setAttribute("data-state", document_.open ? (document_.available ? "available" : "busy") : "closed");
  }

  // The overlay around the portal in the portal's colour scheme (docs/decisions/0110-dark-colour-scheme.md):
  // dark around a dark portal, also while it loads, and as the device says for "Follow the device".
  var deviceDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function overlayScheme() {
    var dark = state.dark && (state.scheme === "dark" || (state.scheme === "device" && deviceDark && deviceDark.matches));
    ["bg", "text", "rule", "border"].forEach(function (name) {
      if (dark && /^#[0-9a-fA-F]{6}$/.test(state.dark[name] || "")) host.style.setProperty("--sp-" + name, state.dark[name]);
      else host.style.removeProperty("--sp-" + name);
    });
    if (dark) host.style.setProperty("--sp-scheme", "dark");
    else host.style.removeProperty("--sp-scheme");
  }
  if (deviceDark && deviceDark.addEventListener) deviceDark.addEventListener("change", overlayScheme);

  function fallback() {
    var code = language(data("locale") || document.documentElement.lang);
    box.lang = code;
    label.textContent = FALLBACK[code][0];
    hint.textContent = " " + FALLBACK[code][1];
    state.overlay = false;
    state.locale = data("locale") || document.documentElement.lang || "";
    box.setAttribute("data-state", "unknown");
  }

  var attempts = 0;
  function load() {
    var locale = data("locale") || document.documentElement.lang || "";
    window.fetch(PORTAL + "/button/availability.json?locale=" + encodeURIComponent(locale),
      { credentials: "omit", mode: "cors" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (document_) {
        show(document_);
        // Still asking the appliance: again soon, with back-off; then every minute.
        var pending = document_.representatives && document_.representatives.state === "pending";
        attempts = pending ? attempts + 1 : 0;
        window.setTimeout(load, pending && attempts < 6 ? 1000 * Math.pow(2, attempts - 1) : 60000);
      }, function () {
        if (!state.texts) fallback();
      });
  }
  load();
})();
