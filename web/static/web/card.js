// The card field (Stripe.js) of the card step and of "update your payment".
//
// The card goes from the browser to Stripe only: stripe.confirmCardSetup() saves it on the
// SetupIntent the server made (3-D Secure included, in Stripe's own window). Then the form
// is posted with what Stripe.js said, and the server asks Stripe what really happened.
(function () {
  "use strict";
  var form = document.querySelector("form[data-card-form]");
  if (!form || typeof window.Stripe !== "function") return;
  // Stripe.js writes its own messages (a declined card) in the page's language.
  var stripe = window.Stripe(form.getAttribute("data-publishable-key"), { locale: document.documentElement.lang || "auto" });
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var status = document.getElementById("card-status");
  var button = form.querySelector("button[type=submit]");
  var sent = false;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sent) return;  // a double click confirms once
    sent = true;
    button.disabled = true;
    status.textContent = form.getAttribute("data-msg-bank");
    stripe.confirmCardSetup(form.getAttribute("data-client-secret"), { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          form.elements.error_code.value = result.error.code || "card_error";
          form.elements.error_message.value = result.error.message || "";
        } else {
          status.textContent = form.getAttribute("data-msg-done");
        }
      }, function () {
        form.elements.error_code.value = "card_error";
        form.elements.error_message.value = form.getAttribute("data-msg-unexpected");
      })
      .then(function () { HTMLFormElement.prototype.submit.call(form); });
  });
})();
