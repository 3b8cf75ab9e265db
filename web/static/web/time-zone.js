// The time-zone page: until the person has chosen a zone, pick their browser's in the list
// (they still save it themselves).
(function () {
  "use strict";
  var form = document.getElementById("time-zone-form");
  if (!form || !form.hasAttribute("data-suggest-browser") || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var select = form.querySelector("select[name=time_zone]");
  if (!zone || !select || !select.querySelector('option[value="' + zone + '"]')) return;
  select.value = zone;
  document.getElementById("time-zone-suggested").textContent =
    form.getAttribute("data-msg-suggested").replace("%(zone)s", zone);
})();
