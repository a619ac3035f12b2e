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
    var template = counter.getAttribute("data-left");
    function update() {
      var remaining = limit - size(input.value, unit);
      counter.textContent = template.replace("__N__", remaining);
      counter.classList.toggle("over", remaining < 0);
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
  }

  // Errors: move focus to the summary so screen readers and keyboards start there.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
