// Polls an element's fragment: every data-poll-seconds the element is replaced by what its
// data-poll-url answers (the same HTML the page was rendered with). A fragment without
// data-poll-url is the last one: polling stops. Errors wait for the next round.
(function () {
  "use strict";
  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    var seconds = Number(element.getAttribute("data-poll-seconds")) || 5;
    if (!url) return;
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (!fresh || fresh.id !== element.id) return poll(element);
          element.replaceWith(fresh);
          poll(fresh);
        })
        .catch(function () { poll(element); });
    }, seconds * 1000);
  }
  document.querySelectorAll("[data-poll-url]").forEach(poll);
})();
