// Progressive enhancements of the organizer pages: everything works without this file.
(function () {
  "use strict";

  // The broadcast form's send button says how many people the chosen audience reaches
  // (each option carries its count in the page's language). Set again once this script
  // runs, for a choice made before it did or restored by the browser.
  function showAudience(radio) {
    var count = radio.form && radio.form.querySelector("[data-send-count] span");
    if (count && radio.checked) count.textContent = radio.getAttribute("data-people");
  }
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (radio.matches && radio.matches("input[type=radio][data-people]")) showAudience(radio);
  });
  document.querySelectorAll("input[type=radio][data-people]:checked").forEach(showAudience);
})();

// The check-in page's camera: where the browser can read QR codes (BarcodeDetector), the
// scanner appears; a code read goes to the same address the typed-code form uses.
(function () {
  "use strict";
  var box = document.querySelector("[data-scanner]");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var video = box.querySelector("video");
  var status = box.querySelector(".scanner__status");
  var start = box.querySelector("[data-scanner-start]");
  var stop = box.querySelector("[data-scanner-stop]");
  var form = document.querySelector("form[method=get] input[name=code]");
  var stream = null;
  var timer = null;
  box.hidden = false;

  function halt() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function found(value) {
    halt();
    status.textContent = "Code read. Looking it up…";
    form.value = value;
    form.form.submit();
  }

  start.addEventListener("click", function () {
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      status.textContent = "This browser cannot read QR codes. Type the code below.";
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        status.textContent = "Camera on. Hold the QR code in view.";
        return video.play();
      })
      .then(function () {
        var look = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) return found(codes[0].rawValue);
            timer = setTimeout(look, 250);
          }, function () { timer = setTimeout(look, 500); });
        };
        look();
      })
      .catch(function () {
        halt();
        status.textContent = "The camera could not start (permission refused?). Type the code below.";
      });
  });
  stop.addEventListener("click", function () {
    halt();
    status.textContent = "Camera off.";
  });
})();

// The event form's time zone: a search box filters the long list (type "york" or
// "sydney"), and a first event starts in the browser's own zone.
(function () {
  "use strict";
  var box = document.querySelector("[data-zone-picker]");
  var select = box && box.querySelector("select");
  if (!select) return;
  if (box.hasAttribute("data-zone-from-browser") && window.Intl) {
    var own = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (own && select.querySelector('option[value="' + own.replace(/"/g, "") + '"]')) {
      select.value = own;
    }
  }
  var field = document.createElement("div");
  field.className = "field";
  var label = document.createElement("label");
  label.htmlFor = "timezone-search";
  label.textContent = "Find a time zone";
  var input = document.createElement("input");
  input.type = "search";
  input.id = "timezone-search";
  input.autocomplete = "off";
  input.setAttribute("aria-controls", select.id);
  input.setAttribute("aria-describedby", "timezone-search-hint");
  var hint = document.createElement("p");
  hint.className = "hint";
  hint.id = "timezone-search-hint";
  hint.setAttribute("aria-live", "polite");
  hint.textContent = "Type a city or region, then choose from the list.";
  field.appendChild(label);
  field.appendChild(input);
  field.appendChild(hint);
  box.insertBefore(field, box.firstChild);

  function words(text) { return text.toLowerCase().replace(/[_/]+/g, " "); }
  input.addEventListener("input", function () {
    var wanted = words(input.value.trim());
    var shown = 0;
    var first = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var match = !wanted || words(option.value + " " + option.text).indexOf(wanted) !== -1;
      option.hidden = !match;
      if (match) {
        shown += 1;
        if (!first) first = option;
      }
    });
    if (wanted) select.size = Math.max(2, Math.min(shown, 8));
    else select.removeAttribute("size");
    if (wanted && first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
      select.value = first.value;
    }
    hint.textContent = wanted
      ? shown + (shown === 1 ? " zone matches." : " zones match.") + " Choose from the list."
      : "Type a city or region, then choose from the list.";
  });
})();
