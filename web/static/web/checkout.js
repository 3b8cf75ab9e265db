// Choosing a tier fills in its minimum (shipping included) when the amount is empty or below it.
(function () {
  var form = document.getElementById("pledge-form");
  if (!form) return;
  var amount = form.querySelector("input[name=amount]");
  form.querySelectorAll("input[name=reward]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var minimum = radio.getAttribute("data-minimum");
      if (minimum && (!amount.value || Number(amount.value) < Number(minimum))) amount.value = minimum;
      amount.min = minimum || amount.step;
    });
  });
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }  // a double click sends one request (the server dedupes too)
    sent = true;
    document.getElementById("pledge-submit").disabled = true;
  });
})();
