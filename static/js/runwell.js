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

// Phones: the main navigation folds into a "Menu" button (styled by .topbar.has-menu in
// runwell.css, which leaves the inbox link in the bar). Without this script the links stay a
// row that scrolls sideways. Escape closes the menu and gives the focus back to its button.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".topbar .nav-toggle");
  if (!toggle) return;
  var topbar = toggle.closest(".topbar");
  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    topbar.classList.toggle("menu-open", open);
  }
  toggle.hidden = false;
  topbar.classList.add("has-menu");
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  topbar.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && topbar.classList.contains("menu-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
});
