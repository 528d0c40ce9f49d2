// The visitor's own time beside an event's time (progressive enhancement).
//
// The server writes every time in the event's zone. For each element marked
// data-local-time (with data-start, optional data-end, as ISO instants, and data-zone,
// the event's IANA zone), this fills in the same instants in the browser's zone, when
// that zone shows a different clock time, as data-text says ("Your time: #", written by
// the server in the page's language, "#" standing for the time). Without JavaScript or
// Intl nothing changes.
//
// Building an Intl.DateTimeFormat is the costly step (a listing has dozens of times), so
// each zone-and-style formatter is built once, and the elements are filled in small
// batches so that a slow phone never sees one long task.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var visitorZone;
  try {
    visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) { return; }
  // The page's language (<html lang>); on an English page the visitor's own English (en-US
  // or en-GB dates), else British English.
  var pageLang = document.documentElement.lang || "en";
  var preferred = navigator.language || "";
  var locale = pageLang;
  if (/^en(-|$)/i.test(pageLang)) locale = /^en(-|$)/i.test(preferred) ? preferred : "en-GB";

  var STYLES = {
    clock: {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    },
    day: { weekday: "short", day: "numeric", month: "short" },
    time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    zoneName: { timeZoneName: "short" }
  };
  var formatters = {};

  function format(date, zone, style) {
    var key = zone + "|" + style;
    if (!formatters[key]) {
      formatters[key] = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, STYLES[style]));
    }
    return formatters[key].format(date);
  }

  function describe(start, end) {
    var day = format(start, visitorZone, "day");
    var text = day + ", " + format(start, visitorZone, "time");
    if (end) {
      var endDay = format(end, visitorZone, "day");
      text += " – " + (endDay === day ? "" : endDay + ", ") + format(end, visitorZone, "time");
    }
    var zoneName = format(start, visitorZone, "zoneName").split(/,?\s+/).pop();
    return text + " " + zoneName;
  }

  function fill(element) {
    var start = new Date(element.getAttribute("data-start"));
    var endValue = element.getAttribute("data-end");
    var end = endValue ? new Date(endValue) : null;
    var zone = element.getAttribute("data-zone") || "UTC";
    if (isNaN(start.getTime()) || (end && isNaN(end.getTime()))) return;
    try {
      if (zone === visitorZone || format(start, zone, "clock") === format(start, visitorZone, "clock")) return;
      var template = element.getAttribute("data-text") || "Your time: #";
      element.textContent = template.split("#").join(describe(start, end));
    } catch (e) { return; }
    element.hidden = false;
  }

  var pending = Array.prototype.slice.call(document.querySelectorAll("[data-local-time]"));
  var BATCH = 8;
  function next() {
    pending.splice(0, BATCH).forEach(fill);
    if (pending.length) setTimeout(next, 0);
  }
  next();
})();
