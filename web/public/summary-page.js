/*
 * The summary page's print button. A separate file, not an inline handler: the page's content
 * security policy runs only the server's own scripts.
 */
(function () {
  "use strict";
  var button = document.getElementById("print-summary");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
