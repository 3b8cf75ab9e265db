// The amount follows the backer's choices: the tier's minimum, shipping to the chosen country
// (country rule, else the most specific region, else rest of world) and the add-ons. The amount
// is filled in when it is empty or still the least the previous choices needed; the server
// prices the pledge again and says what is missing.
(function () {
  var form = document.getElementById("pledge-form") || document.getElementById("change-form");
  if (!form) return;
  var amount = form.querySelector("input[name=amount]");
  var country = form.querySelector("select[name=shipping_country]");
  var regionsNode = document.getElementById("shipping-regions");
  var regions = regionsNode ? JSON.parse(regionsNode.textContent) : { order: [], countries: {} };
  var places = (amount.step.split(".")[1] || "").length;
  var scale = Math.pow(10, places);
  var lastLeast = null;

  function minor(text) { return text ? Math.round(Number(text) * scale) : 0; }
  function chosenTier() {
    var radio = form.querySelector("input[name=reward]:checked");
    if (radio) return radio;
    var select = form.querySelector("select[name=reward]");
    return select ? select.options[select.selectedIndex] : null;
  }
  function shipping(tier) {
    var table = tier && tier.getAttribute("data-shipping");
    if (!table || !country || !country.value) return 0;
    table = JSON.parse(table);
    var code = country.value;
    if (code in table.c) return minor(table.c[code]);
    for (var i = 0; i < regions.order.length; i++) {
      var region = regions.order[i];
      var holds = region === "world" || (regions.countries[region] || []).indexOf(code) >= 0;
      if (holds && region in table.r) return minor(table.r[region]);
    }
    return 0;
  }
  function least() {
    var tier = chosenTier();
    var total = minor(tier && tier.getAttribute("data-minimum")) + shipping(tier);
    form.querySelectorAll("input[data-price]").forEach(function (input) {
      total += minor(input.getAttribute("data-price")) * (parseInt(input.value, 10) || 0);
    });
    return total;
  }
  function update() {
    var needed = least();
    var typed = minor(amount.value);
    if (needed && (!amount.value || typed < needed || typed === lastLeast)) amount.value = (needed / scale).toFixed(places);
    lastLeast = needed;
  }
  lastLeast = least();
  form.querySelectorAll("input[name=reward], select[name=reward], select[name=shipping_country], input[data-price]")
    .forEach(function (input) { input.addEventListener("change", update); });
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (form.id !== "pledge-form") return;
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
