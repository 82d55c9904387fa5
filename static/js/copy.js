// Copy buttons: <button type="button" data-copy="ID" data-copy-status="STATUS-ID"> copies the
// text of the element with id ID and says "Copied" in the element STATUS-ID (a role="status"
// live region, so screen readers hear it too). Where the clipboard API is missing (a page not
// served over HTTPS) or refused, the text is selected and copied the old way; if even that
// fails, it stays selected and the status says how to copy it by hand.
(function () {
  if (window.runwellCopyButtons) return;  // htmx may run this script again after a swap
  window.runwellCopyButtons = true;

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelection(element) {
    select(element);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function say(button, text) {
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!status) return;
    status.textContent = "";  // a repeated message is announced again
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent;
    var fallback = function () {
      say(button, copyBySelection(source) ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(button, "Copied"); }, fallback);
    } else {
      fallback();
    }
  });
})();
