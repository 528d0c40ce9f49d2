// Progressive enhancements: everything works without this file.
(function () {
  "use strict";

  // Ask before destructive POSTs (cancel event, cancel registration, delete data).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // A form marked data-submit-once goes once: a double click does not send a second copy
  // (whose one-time form token would already be used). It re-arms after a few seconds, in
  // case the first copy was lost, and when the page is shown again with Back.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    if (form.hasAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "");
    setTimeout(function () { form.removeAttribute("data-sent"); }, 8000);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
    });
  });

  // Copy buttons: <button data-copy="#selector" data-copied="Copied">, the word shown once
  // copied written by the server in the page's language.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var original = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "Copied";
      setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else if (source.select) {
      source.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* keep the text selected */ }
    }
  });

  // Live countdown: the server renders "N days to go" in the page's language, right until
  // the campaign zone's next midnight (data-counted-until, ms since the epoch). The script
  // recounts only from then on: a browser's first use of Intl costs tens of milliseconds
  // on a phone, so a visitor who reads the count the server wrote never pays for it.
  var countdown = document.querySelector("[data-countdown]");
  if (countdown) {
    var target = countdown.getAttribute("data-countdown");
    var zone = countdown.getAttribute("data-timezone") || "UTC";
    var countedUntil = Number(countdown.getAttribute("data-counted-until")) || 0;
    var zoneDate = null;
    var update = function () {
      var today;
      try {
        zoneDate = zoneDate || new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
        today = zoneDate.format(new Date());
      } catch (e) { return; }
      var days = Math.round((Date.parse(target + "T00:00:00Z") - Date.parse(today + "T00:00:00Z")) / 86400000);
      var value = countdown.querySelector(".countdown__value");
      if (!value) return;
      // The page's language: its texts (data-text-*, "#" standing for the number) and plural rule.
      var lang = document.documentElement.lang || "en";
      if (days > 0) {
        var form = "other";
        try { form = new Intl.PluralRules(lang).select(days) === "one" ? "one" : "other"; } catch (e) { form = days === 1 ? "one" : "other"; }
        var text = countdown.getAttribute("data-text-" + form) || "#";
        var number = document.createElement("span");
        number.className = "countdown__number";
        number.textContent = new Intl.NumberFormat(lang).format(days);
        var parts = text.split("#");
        value.textContent = "";
        value.appendChild(document.createTextNode(parts[0]));
        value.appendChild(number);
        value.appendChild(document.createTextNode(parts.slice(1).join("#")));
      } else if (days === 0) value.textContent = countdown.getAttribute("data-text-today") || "";
    };
    var start = function () {
      update();
      setInterval(update, 60000);
    };
    // A timer longer than 2^31-1 ms fires at once; a page open that long checks daily.
    var wait = Math.min(countedUntil - Date.now(), 86400000);
    if (wait > 0) setTimeout(start, wait);
    else start();
  }
})();
