// The visitor's own time beside an event's time (progressive enhancement).
//
// The server writes every time in the event's zone. For each element marked
// data-local-time (with data-start, optional data-end, as ISO times carrying the event
// zone's offset, and data-zone, the event's IANA zone), this fills in the same instants
// in the browser's zone, when that zone shows a different clock time, as data-text says
// ("Your time: #", written by the server in the page's language, "#" standing for the
// time). Without JavaScript or Intl nothing changes.
//
// The browser's first use of Intl costs tens of milliseconds (a phone: hundreds), so the
// page itself never reaches it: a visitor whose clock shows the event's time (the
// offsets agree) needs no text at all, and the texts that are needed are written by this
// same file started as a worker, off the page's main thread. Where a worker cannot start,
// the page writes them itself, in small batches so that no one task is long.
(function () {
  "use strict";
  var STYLES = {
    clock: {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    },
    day: { weekday: "short", day: "numeric", month: "short" },
    time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    zoneName: { timeZoneName: "short" }
  };

  // "Sat 12 Dec, 23:00 – 01:00 GMT" for the instants start and end (ms since the epoch,
  // end may be null) in the browser's zone, or null when that zone shows event zone's
  // clock anyway.
  function makeDescriber(locale) {
    var formatters = {};
    var visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    function format(date, zone, style) {
      var key = zone + "|" + style;
      if (!formatters[key]) {
        formatters[key] = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, STYLES[style]));
      }
      return formatters[key].format(date);
    }
    return function (startMs, endMs, zone) {
      var start = new Date(startMs);
      var end = endMs === null ? null : new Date(endMs);
      try {
        if (zone === visitorZone || format(start, zone, "clock") === format(start, visitorZone, "clock")) return null;
        var day = format(start, visitorZone, "day");
        var text = day + ", " + format(start, visitorZone, "time");
        if (end) {
          var endDay = format(end, visitorZone, "day");
          text += " – " + (endDay === day ? "" : endDay + ", ") + format(end, visitorZone, "time");
        }
        return text + " " + format(start, visitorZone, "zoneName").split(/,?\s+/).pop();
      } catch (e) {
        return null;
      }
    };
  }

  // Started as a worker: {locale, items: [[start, end, zone], ...]} in, the texts out.
  if (typeof document === "undefined") {
    self.onmessage = function (message) {
      var describe = makeDescriber(message.data.locale);
      self.postMessage(message.data.items.map(function (item) {
        return describe(item[0], item[1], item[2]);
      }));
    };
    return;
  }

  if (!window.Intl || !Intl.DateTimeFormat) return;
  // The page's language (<html lang>); on an English page the visitor's own English (en-US
  // or en-GB dates), else British English.
  var pageLang = document.documentElement.lang || "en";
  var preferred = navigator.language || "";
  var locale = pageLang;
  if (/^en(-|$)/i.test(pageLang)) locale = /^en(-|$)/i.test(preferred) ? preferred : "en-GB";

  // True when the browser's clock at `date` shows the time `iso` was written in: its
  // offset (+hh:mm, -hh:mm or Z) is the browser's own at that instant. No Intl needed.
  function sameClock(date, iso) {
    var match = /(?:([+-])(\d\d):(\d\d)|Z)$/.exec(iso);
    if (!match) return false;
    var offset = match[1] ? (Number(match[2]) * 60 + Number(match[3])) * (match[1] === "-" ? -1 : 1) : 0;
    return offset === -date.getTimezoneOffset();
  }

  var elements = [];
  var items = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-local-time]"), function (element) {
    var startValue = element.getAttribute("data-start") || "";
    var endValue = element.getAttribute("data-end");
    var start = new Date(startValue);
    var end = endValue ? new Date(endValue) : null;
    if (isNaN(start.getTime()) || (end && isNaN(end.getTime()))) return;
    if (sameClock(start, startValue) && (!end || sameClock(end, endValue))) return;
    elements.push(element);
    items.push([start.getTime(), end ? end.getTime() : null, element.getAttribute("data-zone") || "UTC"]);
  });
  if (!items.length) return;

  function show(element, text) {
    if (!text) return;
    var template = element.getAttribute("data-text") || "Your time: #";
    element.textContent = template.split("#").join(text);
    element.hidden = false;
  }

  function inPage() {
    var describe = makeDescriber(locale);
    var next = 0;
    var BATCH = 8;
    (function batch() {
      for (var end = Math.min(next + BATCH, items.length); next < end; next++) {
        show(elements[next], describe(items[next][0], items[next][1], items[next][2]));
      }
      if (next < items.length) setTimeout(batch, 0);
    })();
  }

  var source = document.currentScript && document.currentScript.src;
  if (!window.Worker || !source) return inPage();
  var worker;
  try {
    worker = new Worker(source);
  } catch (e) {
    return inPage();
  }
  var settled = false;
  worker.onmessage = function (message) {
    settled = true;
    worker.terminate();
    message.data.forEach(function (text, i) { show(elements[i], text); });
  };
  worker.onerror = function (event) {
    if (event && event.preventDefault) event.preventDefault();
    worker.terminate();
    if (!settled) {
      settled = true;
      inPage();
    }
  };
  worker.postMessage({ locale: locale, items: items });
})();
