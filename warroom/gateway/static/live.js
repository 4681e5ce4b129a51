// Live updates for warroom's pages. Without JavaScript every page works and a reload shows the
// news; with it, a page listens to its server-sent events (main[data-events]) and, when they say
// something changed, fetches itself again and swaps in the new <main>, unless the person is in the
// middle of typing into a form. Countdowns (time[data-due]) tick every second.
(function () {
  "use strict";
  function words(seconds) {
    if (seconds <= 0) return "now";
    if (seconds < 60) return "in " + Math.round(seconds) + " s";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return "in " + minutes + " min";
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    return "in " + hours + " h" + (rest ? " " + rest + " min" : "");
  }
  function tick() {
    document.querySelectorAll("time[data-due]").forEach(function (el) {
      el.textContent = words((Date.parse(el.dataset.due) - Date.now()) / 1000);
    });
  }
  function busy(main) {
    var active = document.activeElement;
    return active && main.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.value;
  }
  var pending = false, waiting = null;
  function refresh() {
    var main = document.querySelector("main[data-events]");
    if (!main) return;
    if (busy(main)) { pending = true; return; }
    clearTimeout(waiting);
    waiting = setTimeout(function () {
      fetch(location.href, { headers: { "X-Fragment": "main" }, credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) {
          if (html === null) return;
          main.innerHTML = html;
          main.dataset.refreshed = String(Date.now());
          tick();
        });
    }, 250);
  }
  document.addEventListener("focusout", function () { if (pending) { pending = false; refresh(); } });
  var main = document.querySelector("main[data-events]");
  if (main && window.EventSource) {
    var source = new EventSource(main.dataset.events, { withCredentials: true });
    ["changed", "timeline", "state", "closed"].forEach(function (name) { source.addEventListener(name, refresh); });
  }
  tick();
  setInterval(tick, 1000);
})();
