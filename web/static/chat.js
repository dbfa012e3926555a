// The web chat's only script: clear the composer after a send and keep the newest bubble in view.
document.addEventListener("htmx:afterRequest", function (event) {
  if (event.detail.elt.id === "composer" && event.detail.successful) {
    event.detail.elt.reset();
    document.getElementById("text").focus();
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target.id === "log" && event.detail.xhr.responseText.trim()) {
    window.scrollTo(0, document.body.scrollHeight);
  }
});
