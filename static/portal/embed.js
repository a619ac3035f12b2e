/* Support Portal embed script, for the HOST page (your help-desk site), not for the portal.

   It resizes each portal iframe to the height of the page inside it, so the customer never
   scrolls a box within a page. The portal tells its height with postMessage; this script
   believes a message only when it comes from the portal's origin AND from the iframe's own
   window. The portal, for its part, posts only to the origins its admin allowed.

   Snippet (the admin's site page shows it with your portal's address filled in; a dark site's
   adds data-color-scheme and data-dark-background, the colour the frame shows until the
   portal's first paint):

     <iframe data-support-portal src="https://support.example.com/?embed=1"
             title="Remote support" width="100%" height="640"
             sandbox="allow-forms allow-scripts allow-same-origin
                      allow-top-navigation-by-user-activation allow-popups"></iframe>
     <script src="https://support.example.com/static/portal/embed.js" async></script>

   The sandbox attribute is optional; if you use it, the portal needs these tokens:
     allow-forms      the session-key and survey forms are sent by a normal form POST.
     allow-scripts    live character counters, fields per issue, and this resizing.
     allow-same-origin  keeps the portal's own origin: its forms are accepted only when the
                      browser's Origin header names the portal (no cookies, so this is the CSRF
                      protection), and this script checks that origin on every message.
     allow-top-navigation-by-user-activation  the last step is a button that opens the
                      support session in the whole window (vendor pages refuse to be framed and
                      a sandboxed frame may not download the support program); only a click
                      may do it, never a script.
     allow-popups     links the portal opens in a new tab (e.g. your terms) keep working.

   Your page's Content-Security-Policy must allow the portal in `frame-src` (or `child-src`)
   and this file in `script-src`; or copy this file to your own server. Nothing else is needed:
   no inline script or style, no cookies, no CORS. The portal's admin must list your page's
   origin (e.g. https://help.example.com) under the site's allowed embedding origins. */
(function () {
  "use strict";
  var MESSAGE_TYPE = "support-portal:resize";
  var MAX_HEIGHT = 20000; // px; a bigger value is a bug or an attack, not a page

  function originOf(url) {
    try { return new URL(url, window.location.href).origin; } catch (e) { return null; }
  }

  function portalFrameFor(event) {
    var frames = document.querySelectorAll("iframe[data-support-portal]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow === event.source) {
        return originOf(frame.src) === event.origin ? frame : null;
      }
    }
    return null;
  }

  // A dark portal's frame is dark before the portal's first paint, not the host page's white
  // (docs/decisions/0110-dark-colour-scheme.md): the snippet of a Dark site, or of one that
  // follows the device, carries the portal's dark page colour; "device" applies it while the
  // device is dark. CSSOM, as below: no inline style for the host's Content-Security-Policy.
  var deviceDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function paintFrames() {
    var frames = document.querySelectorAll("iframe[data-support-portal][data-dark-background]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      var scheme = frame.getAttribute("data-color-scheme");
      var background = frame.getAttribute("data-dark-background");
      if (!/^#[0-9a-fA-F]{6}$/.test(background)) continue;
      if (scheme === "dark" || (scheme === "device" && deviceDark && deviceDark.matches)) {
        frame.style.backgroundColor = background;
        frame.style.colorScheme = "dark";
      } else if (frame.style.backgroundColor) {
        frame.style.removeProperty("background-color");
        frame.style.removeProperty("color-scheme");
      }
    }
  }
  paintFrames();
  // An async script may run before the parser reaches the frame.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", paintFrames);
  // A help desk built as a single-page app adds the frame later (a "Get help" tab, a route):
  // painted as it is added, before the portal's answer.
  if (window.MutationObserver) {
    new MutationObserver(function (records) {
      for (var r = 0; r < records.length; r++) {
        var added = records[r].addedNodes;
        for (var n = 0; n < added.length; n++) {
          var node = added[n];
          if (node.nodeType === 1 && (node.matches("iframe[data-support-portal]") ||
              node.querySelector("iframe[data-support-portal]"))) {
            paintFrames();
            return;
          }
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
  if (deviceDark && deviceDark.addEventListener) deviceDark.addEventListener("change", paintFrames);

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== MESSAGE_TYPE) return;
    var frame = portalFrameFor(event);
    var height = Math.ceil(Number(data.height));
    if (!frame || !isFinite(height) || height < 1 || height > MAX_HEIGHT) return;
    // Many sites size everything as border-box: then the frame's border and padding count too.
    var style = window.getComputedStyle(frame);
    if (style.boxSizing === "border-box") {
      height += ["borderTopWidth", "borderBottomWidth", "paddingTop", "paddingBottom"]
        .reduce(function (sum, side) { return sum + (parseFloat(style[side]) || 0); }, 0);
    }
    // CSSOM, not a style attribute: allowed by any Content-Security-Policy.
    frame.style.height = Math.ceil(height) + "px";
  });
})();
