// Rota pages answer bad input from an htmx form with HTTP 400 and the card re-rendered with
// the error next to the field. htmx does not swap 4xx responses by default (and in DEBUG the
// django-htmx helper would replace the whole page with them), so inside a rota page a 400 is
// swapped like a success.
(function () {
  function isBadInput(event) {
    return event.detail.xhr && event.detail.xhr.status === 400;
  }
  document.querySelectorAll("[data-rota-swap-400]").forEach(function (root) {
    root.addEventListener("htmx:beforeOnLoad", function (event) {
      if (isBadInput(event)) event.stopPropagation(); // keep it from the debug error page
    });
    root.addEventListener("htmx:beforeSwap", function (event) {
      if (isBadInput(event)) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
  });
})();
