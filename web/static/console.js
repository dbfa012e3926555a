// The console's only script: a canned response fills the reply box it names; a file over the size the
// server takes (data-max-bytes) is refused before it is sent, with the reason, instead of failing unseen.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.dataset && select.dataset.fills && select.value) {
    document.getElementById(select.dataset.fills).value = select.value;
  }
  if (select.type === "file" && select.dataset && select.dataset.maxBytes) {
    var file = select.files && select.files[0];
    var limit = Number(select.dataset.maxBytes);
    var photoLimit = Number(select.dataset.maxPhotoBytes || limit);
    var over = file && (file.size > limit || (/^image\//.test(file.type) && file.size > photoLimit));
    select.setCustomValidity(over ? select.dataset.tooLarge : "");
    if (over) {
      select.reportValidity();
    }
  }
});
