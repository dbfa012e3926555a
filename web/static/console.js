// The console's only script: a canned response fills the reply box it names.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.dataset && select.dataset.fills && select.value) {
    document.getElementById(select.dataset.fills).value = select.value;
  }
});
