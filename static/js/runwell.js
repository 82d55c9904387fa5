// Runwell's only site-wide script.
// Bad input is answered with 400/409/422 and the form with its messages, which htmx swaps in
// (see the htmx-config meta tag). In DEBUG, django-htmx's helper replaces the whole page with
// any 400 answer to show Django's error page; keep such answers to their target instead.
document.body.addEventListener("htmx:beforeOnLoad", function (event) {
  var status = event.detail.xhr && event.detail.xhr.status;
  if (status === 400 || status === 409 || status === 422) {
    event.stopPropagation();
  }
});
