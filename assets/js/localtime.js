// The visitor's own time beside an event's time (progressive enhancement).
//
// The server writes every time in the event's zone. For each element marked
// data-local-time (with data-start, optional data-end, as ISO times carrying the event
// zone's offset, and data-zone, the event's IANA zone), this fills in the same instants
// in the browser's zone, when that zone shows a different clock time, as data-text says
// ("Your time: #", written by the server in the page's language, "#" standing for the
// time). Without JavaScript or Intl nothing changes.
//
// The browser's first use of Intl costs tens of milliseconds on a phone, so a visitor
// whose clock shows the event's time (the offsets agree) never reaches it; otherwise each
// zone-and-style formatter is built once, and the elements are filled in small batches
// so that a slow phone never sees one long task.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var visitorZone = null;
  function ownZone() {
    if (visitorZone === null) visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return visitorZone;
  }
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
    var zone = ownZone();
    var day = format(start, zone, "day");
    var text = day + ", " + format(start, zone, "time");
    if (end) {
      var endDay = format(end, zone, "day");
      text += " – " + (endDay === day ? "" : endDay + ", ") + format(end, zone, "time");
    }
    var zoneName = format(start, zone, "zoneName").split(/,?\s+/).pop();
    return text + " " + zoneName;
  }

  // True when the browser's clock at `date` shows the time `iso` was written in: its
  // offset (+hh:mm, -hh:mm or Z) is the browser's own at that instant. No Intl needed.
  function sameClock(date, iso) {
    var match = /(?:([+-])(\d\d):(\d\d)|Z)$/.exec(iso);
    if (!match) return false;
    var offset = match[1] ? (Number(match[2]) * 60 + Number(match[3])) * (match[1] === "-" ? -1 : 1) : 0;
    return offset === -date.getTimezoneOffset();
  }

  function fill(element) {
    var startValue = element.getAttribute("data-start") || "";
    var endValue = element.getAttribute("data-end");
    var start = new Date(startValue);
    var end = endValue ? new Date(endValue) : null;
    var zone = element.getAttribute("data-zone") || "UTC";
    if (isNaN(start.getTime()) || (end && isNaN(end.getTime()))) return;
    if (sameClock(start, startValue) && (!end || sameClock(end, endValue))) return;
    try {
      if (zone === ownZone() || format(start, zone, "clock") === format(start, ownZone(), "clock")) return;
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
