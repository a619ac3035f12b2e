/* Support Portal: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  var encoder = window.TextEncoder ? new TextEncoder() : null;

  function size(value, unit) {
    if (unit === "bytes" && encoder) return encoder.encode(value).length;
    return Array.from(value).length; // characters as the server counts them (code points)
  }

  // Live counters: "N left" for limited fields (characters, or UTF-8 bytes for descriptions).
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var input = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!input) return;
    var limit = parseInt(counter.getAttribute("data-limit"), 10);
    var unit = counter.getAttribute("data-unit");
    var left = counter.getAttribute("data-left");
    var over = counter.getAttribute("data-over") || left;
    function update() {
      var used = size(input.value, unit);
      var remaining = limit - used;
      counter.textContent = remaining < 0 ? over.replace("__N__", -remaining) : left.replace("__N__", remaining);
      counter.classList.toggle("over", remaining < 0);
      // A short character limit is worth mentioning only near it; the byte limit of a
      // description always is (customers cannot guess bytes).
      counter.hidden = unit !== "bytes" && used < limit * 0.8;
    }
    input.addEventListener("input", update);
    update();
  });

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

  // The browser's time zone (decision 8) and whether we are inside a frame.
  var offset = -new Date().getTimezoneOffset();
  document.querySelectorAll("input[name=tz]").forEach(function (el) { el.value = String(offset); });
  var framed = false;
  try { framed = window.self !== window.top; } catch (e) { framed = true; }
  if (framed) {
    document.body.classList.add("embedded");
    document.querySelectorAll("input[name=embedded]").forEach(function (el) { el.value = "1"; });
    postHeightToHost();
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
      var shown = Array.prototype.map.call(repList.querySelectorAll("button"), function (b) { return b.value + " " + b.textContent; });
      if (shown.join("\n") !== data.reps.map(function (r) { return r.id + " " + r.name; }).join("\n")) {
        // A keyboard user on a rep's button keeps their place: on the same rep if still
        // there, else on the list, never dropped back to the top of the page.
        var focused = repList.contains(document.activeElement) ? document.activeElement.value : null;
        repList.textContent = "";
        data.reps.forEach(function (rep) {
          var item = document.createElement("li"), button = document.createElement("button");
          button.type = "submit"; button.name = "rep"; button.className = "button secondary";
          button.value = String(rep.id); button.textContent = rep.name;
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
