/* Support Portal: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  // Live counters, in characters, agreeing with the server (portal/forms.py) to the character:
  // the text is normalised as clean_text does (line ends unified, the characters in the
  // counter's data-strip removed at both ends), characters are code points, and where the
  // vendor counts UTF-8 bytes (data-max-bytes, or a budget shared by fields carrying
  // data-shared-bytes) the same rule decides what fits. Over the limit, the number is what
  // the server's message says: how many characters to take off the end (chars_over).
  function utf8Width(ch) {
    var code = ch.codePointAt(0); // a lone surrogate goes out as U+FFFD: 3 bytes, as here
    return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  function Rule(strip) {
    this.ends = new RegExp("^[" + strip + "]+|[" + strip + "]+$", "g");
    this.space = new RegExp("^[" + strip + "]$");
  }
  Rule.prototype.normalise = function (value) {
    return value.replace(/\r\n?/g, "\n").replace(this.ends, "");
  };
  Rule.prototype.charsOver = function (chars, maxChars, maxBytes) {
    var fit = maxChars === null ? chars.length : Math.min(chars.length, maxChars);
    if (maxBytes !== null) {
      var size = 0;
      for (var i = 0; i < fit; i++) size += utf8Width(chars[i]);
      while (fit > 0 && size > maxBytes) { fit -= 1; size -= utf8Width(chars[fit]); }
    }
    while (fit < chars.length && this.space.test(chars[fit])) fit += 1;
    return chars.length - fit;
  };
  function number(el, name) {
    var value = el.getAttribute(name);
    return value === null || value === "" ? null : parseInt(value, 10);
  }
  function counts(el) { // a field the server will read: shown for the chosen issue, chosen
    var box = el.closest("[data-issues]");
    if (box && box.hidden) return false;
    return !((el.type === "radio" || el.type === "checkbox") && !el.checked);
  }
  // A byte limit's "characters left" counts letters as wide as the widest of the page's
  // alphabet: Japanese and Chinese characters take 3 bytes, Cyrillic letters 2, and so do the
  // letters of the Latin alphabets beyond English's that nearly every sentence has ("ä", "é",
  // "ñ", "ç", "ğ"). A Japanese page must not promise 1,024 characters where 341 fit, and a
  // Finnish count must not halve at the first "ä" (1,016 left, then 506). English and Dutch
  // write their words in ASCII letters.
  var pageLanguage = (document.documentElement.lang || "").toLowerCase();
  var scriptWidth = /^(ja|zh)/.test(pageLanguage) ? 3 : /^(ru|de|es|fi|fr|it|pt|sv|tr)/.test(pageLanguage) ? 2 : 1;
  var counters = [];
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var input = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!input) return;
    counters.push({ counter: counter, input: input, rule: new Rule(counter.getAttribute("data-strip") || "\\s"),
                    maxChars: number(counter, "data-max-chars"), maxBytes: number(counter, "data-max-bytes") });
  });
  function bytesOf(rule, value) {
    var size = 0;
    Array.from(rule.normalise(value)).forEach(function (ch) { size += utf8Width(ch); });
    return size;
  }
  function updateCounter(item) {
    var rule = item.rule, input = item.input, counter = item.counter;
    var chars = Array.from(rule.normalise(input.value));
    var maxBytes = item.maxBytes;
    var shared = number(input, "data-shared-bytes");
    if (shared !== null && input.form) {
      var others = 0;
      input.form.querySelectorAll("[data-shared-bytes]").forEach(function (el) {
        if (el !== input && counts(el)) others += bytesOf(rule, el.value);
      });
      maxBytes = maxBytes === null ? shared - others : Math.min(maxBytes, shared - others);
    }
    var over = rule.charsOver(chars, item.maxChars, maxBytes);
    if (over && !item.edited && input.getAttribute("aria-invalid") === "true") {
      // The server's message by the field already says how many to take off: one voice until
      // the customer edits the field, then the counter's live number.
      counter.hidden = true;
      return;
    }
    var left = Infinity;
    if (!over) {
      if (item.maxChars !== null) left = item.maxChars - chars.length;
      if (maxBytes !== null) {
        // Characters like the widest one typed so far, and at least as wide as the page's
        // script usually is: at least that many still fit.
        var size = 0, widest = scriptWidth;
        chars.forEach(function (ch) { var w = utf8Width(ch); size += w; widest = Math.max(widest, w); });
        left = Math.min(left, Math.floor((maxBytes - size) / widest));
      }
    }
    var text = over ? counter.getAttribute("data-over").replace("__N__", over)
      : counter.getAttribute("data-left").replace("__N__", left);
    if (counter.textContent !== text) counter.textContent = text;
    counter.classList.toggle("over", over > 0);
    // A character limit is worth mentioning only near it; a byte limit always is (nobody
    // can guess how many accented letters or emoji still fit).
    counter.hidden = !over && item.maxBytes === null && (item.maxChars === null || left > item.maxChars * 0.2);
  }
  function updateCounters() { counters.forEach(updateCounter); }
  if (counters.length) {
    // Any field may change what the others have left (the shared budget, the chosen issue).
    document.addEventListener("input", function (event) {
      counters.forEach(function (item) { if (item.input === event.target) item.edited = true; });
      updateCounters();
    });
    document.addEventListener("change", updateCounters);
    updateCounters();
  }

  // Custom fields: show only the selected issue's fields (the server decides what counts).
  var issueInputs = document.querySelectorAll("[name=issue]");
  function selectedIssue() {
    var value = "";
    issueInputs.forEach(function (el) {
      if ((el.type !== "radio" || el.checked) && el.value) value = el.value;
    });
    return value;
  }
  function revealFields() {
    var issue = selectedIssue();
    document.querySelectorAll("[data-issues]").forEach(function (box) {
      var issues = box.getAttribute("data-issues").split(" ");
      box.hidden = !issue || issues.indexOf(issue) === -1;
    });
    document.querySelectorAll(".for-issues").forEach(function (el) { el.hidden = true; });
  }
  if (issueInputs.length) {
    issueInputs.forEach(function (el) { el.addEventListener("change", revealFields); });
    revealFields();
  }

  // Esc closes an open language menu and gives focus back to its button, as a menu does. In
  // the capture phase, so that in the button's overlay the same Esc closes only the menu.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.language-picker[open]");
    if (!open) return;
    open.removeAttribute("open");
    open.querySelector("summary").focus();
    event.preventDefault();
  }, true);

  // The browser's time zone (docs/decisions/0008-timezone-offset-from-browser.md) and whether we
  // are inside a frame.
  var offset = -new Date().getTimezoneOffset();
  document.querySelectorAll("input[name=tz]").forEach(function (el) { el.value = String(offset); });
  var framed = false;
  try { framed = window.self !== window.top; } catch (e) { framed = true; }
  if (framed) {
    document.body.classList.add("embedded");
    document.querySelectorAll("input[name=embedded]").forEach(function (el) { el.value = "1"; });
    postHeightToHost();
    postEscapeToHost();
  }

  // In a frame: tell the host page our height (static/portal/embed.js resizes the iframe).
  // Only to the site's allowed embedding origins, never "*": the browser drops a message
  // whose target origin is not the parent's, so an unlisted host learns nothing.
  function allows(pattern, origin) {
    if (pattern === origin) return true;
    var star = pattern.indexOf("://*."); // https://*.example.com, as CSP frame-ancestors allows
    if (star === -1) return false;
    var scheme = pattern.slice(0, star + 3), suffix = pattern.slice(star + 4);
    return origin.indexOf(scheme) === 0 && origin.length > scheme.length + suffix.length &&
      origin.slice(-suffix.length) === suffix;
  }
  function hostOrigins() {
    var allowed = (document.documentElement.getAttribute("data-frame-origins") || "").split(" ")
      .map(function (origin) { return origin.replace(/\/$/, ""); })
      .filter(function (origin) { return origin; });
    var parent = "";
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      parent = window.location.ancestorOrigins[0];
    } else if (document.referrer) {
      try { parent = new URL(document.referrer).origin; } catch (e) { parent = ""; }
    }
    if (parent && allowed.some(function (pattern) { return allows(pattern, parent); })) return [parent];
    // Parent unknown (no ancestorOrigins, no referrer): each listed origin; only the real
    // parent's receives it. A wildcard cannot be a target origin.
    return allowed.filter(function (origin) { return origin.indexOf("*") === -1; });
  }
  function postHeightToHost() {
    var origins = hostOrigins();
    if (!origins.length || !window.ResizeObserver) return;
    var last = 0;
    new ResizeObserver(function () {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      origins.forEach(function (origin) {
        window.parent.postMessage({ type: "support-portal:resize", height: height }, origin);
      });
    }).observe(document.documentElement);
  }

  // In the "get help" button's overlay (static/portal/button.js) Esc closes the overlay, but
  // a key pressed in this frame never reaches the host page: say so, to the same origins.
  function postEscapeToHost() {
    var origins = hostOrigins();
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      origins.forEach(function (origin) {
        window.parent.postMessage({ type: "support-portal:escape" }, origin);
      });
    });
  }

  // "What happens next": the steps for this browser's system (the page is the same for all).
  var ua = navigator.userAgent;
  var system = /iPhone|iPad|Android/.test(ua) ? "mobile" : /Windows/.test(ua) ? "windows"
    : /Macintosh/.test(ua) ? "mac" : "other";
  document.querySelectorAll("[data-next-steps]").forEach(function (box) {
    var lists = box.querySelectorAll("[data-platform]");
    var known = box.querySelector('[data-platform="' + system + '"]');
    if (!known) return;
    lists.forEach(function (list) { list.hidden = list !== known; });
  });

  // Errors: move focus to the summary so screen readers and keyboards start there. Its links
  // focus their field (a plain #fragment only scrolls) and show the label above it too.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='#']");
      var input = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      (input.closest(".field") || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
    summary.focus();
  }

  // Representative list: every 30 s, the same cached list as JSON (public names only). The
  // buttons are rebuilt only when the list changed, so focus stays where it is. While the
  // server is still asking the appliance ("pending"), it asks again sooner, backing off.
  var repForm = document.querySelector("[data-reps-url]");
  var repStatus = document.getElementById("rep-status");
  if (repForm && repStatus && window.fetch) {
    var repList = repForm.querySelector(".rep-list");
    var REFRESH_MS = 30000;
    var PENDING_MS = [500, 1000, 2000, 4000, 8000]; // then every 8 s, 20 times at most
    var PENDING_MAX_POLLS = 20;
    var pendingPolls = 0;
    var showList = function (data) {
      var some = data.reps.length > 0;
      var shown = Array.prototype.map.call(repList.querySelectorAll("button"), function (b) { return b.value + " " + b.querySelector(".tile-name").textContent; });
      if (shown.join("\n") !== data.reps.map(function (r) { return r.id + " " + r.name; }).join("\n")) {
        // A keyboard user on a rep's button keeps their place: on the same rep if still
        // there, else on the list, never dropped back to the top of the page.
        var focused = repList.contains(document.activeElement) ? document.activeElement.value : null;
        repList.textContent = "";
        // The same tile as templates/portal/_person.html; the server sends the initials.
        var span = function (className, text) {
          var element = document.createElement("span");
          element.className = className;
          if (text !== undefined) element.textContent = text;
          return element;
        };
        data.reps.forEach(function (rep) {
          var item = document.createElement("li"), button = document.createElement("button");
          button.type = "submit"; button.name = "rep"; button.className = "tile";
          button.value = String(rep.id);
          var initials = span("tile-initials", rep.initials), text = span("tile-text");
          initials.setAttribute("aria-hidden", "true");
          text.appendChild(span("tile-name", rep.name));
          text.appendChild(document.createTextNode(" "));
          text.appendChild(span("tile-state", repList.getAttribute("data-available")));
          button.appendChild(initials); button.appendChild(text);
          item.appendChild(button); repList.appendChild(item);
        });
        if (focused !== null) {
          var again = repList.querySelector("button[value='" + focused + "']");
          (again && some ? again : some ? repList : repStatus).focus();
        }
      }
      var pending = data.state === "pending";
      document.querySelectorAll("[data-reps-some]").forEach(function (el) { el.hidden = !some; });
      document.querySelectorAll("[data-reps-none]").forEach(function (el) { el.hidden = some || pending; });
      document.querySelectorAll("[data-reps-pending]").forEach(function (el) { el.hidden = !pending; });
      var text = repStatus.getAttribute(some ? "data-some" : pending ? "data-pending"
        : data.state === "unavailable" || !data.available ? "data-unavailable" : "data-none");
      if (repStatus.textContent.trim() !== text) repStatus.textContent = text;
      repStatus.setAttribute("data-state", data.state || "ok");
    };
    var schedule = function () {
      var pending = repStatus.getAttribute("data-state") === "pending";
      if (!pending) pendingPolls = 0;
      var soon = pending && pendingPolls < PENDING_MAX_POLLS; // then the usual 30 s
      if (soon) pendingPolls += 1;
      setTimeout(refresh, soon ? PENDING_MS[Math.min(pendingPolls - 1, PENDING_MS.length - 1)] : REFRESH_MS);
    };
    var refresh = function () {
      fetch(repForm.getAttribute("data-reps-url"), { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) showList(data); })
        .catch(function () { /* offline for a moment: keep what is shown */ })
        .then(schedule);
    };
    schedule();
  }
})();
