// Shows each <time data-local-time datetime="…UTC…"> in the reader's own time zone.
(function () {
  "use strict";
  document.querySelectorAll("time[data-local-time]").forEach(function (node) {
    var moment = new Date(node.getAttribute("datetime"));
    if (isNaN(moment)) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    node.textContent = moment.toLocaleString(document.documentElement.lang || undefined, {
      dateStyle: "long", timeStyle: "short"
    }) + " (" + zone + ")";
    node.title = node.getAttribute("datetime");
  });
})();
