// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("click", function (event) {
  if (event.target.matches("[data-back]")) {
    event.preventDefault();
    history.back();
  }
});
