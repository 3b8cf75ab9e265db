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

// Changing a pledge to a dearer tier raises the amount to that tier's minimum, and says so
// (the server does the same when the amount is left as it was).
(function () {
  var form = document.getElementById("change-form");
  if (!form) return;
  var amount = form.querySelector("input[name=amount]");
  var select = form.querySelector("select[name=reward]");
  var status = document.getElementById("change-raised");
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var minimum = option.getAttribute("data-minimum");
    status.textContent = "";
    if (minimum && (!amount.value || Number(amount.value) < Number(minimum))) {
      amount.value = minimum;
      status.textContent = form.getAttribute("data-msg-raised").replace("%(amount)s", minimum + " " + form.getAttribute("data-currency"));
    }
  });
})();
