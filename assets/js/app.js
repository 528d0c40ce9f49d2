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

  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var original = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else if (source.select) {
      source.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* keep the text selected */ }
    }
  });

  // Live countdown: the server renders "N days to go"; this keeps it right past midnight.
  var countdown = document.querySelector("[data-countdown]");
  if (countdown) {
    var target = countdown.getAttribute("data-countdown");
    var zone = countdown.getAttribute("data-timezone") || "UTC";
    var update = function () {
      var today;
      try {
        today = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
      } catch (e) { return; }
      var days = Math.round((Date.parse(target + "T00:00:00Z") - Date.parse(today + "T00:00:00Z")) / 86400000);
      var value = countdown.querySelector(".countdown__value");
      if (!value) return;
      if (days > 1) value.innerHTML = '<span class="countdown__number">' + days + "</span> days to go";
      else if (days === 1) value.innerHTML = '<span class="countdown__number">1</span> day to go';
      else if (days === 0) value.textContent = "It's today!";
    };
    update();
    setInterval(update, 60000);
  }
})();
