// The console's only script: canned responses, a file over the size the server takes (data-max-bytes)
// refused before it is sent with the reason, the queue's keyboard shortcuts and its bulk ticks.
(function () {
  "use strict";

  // a canned response fills the reply box it names
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

  // the queue refreshes itself every few seconds: not while tickets are ticked for a bulk action
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.id === "queue" && target.querySelector("input.pick:checked")) {
      event.preventDefault();
    }
  });

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue .tickets > li"));
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.findIndex(function (li) { return li.classList.contains("current"); });
    if (at < 0) {
      var focused = document.activeElement && document.activeElement.closest("#queue .tickets > li");
      at = focused ? all.indexOf(focused) : -1;
    }
    var next = Math.max(0, Math.min(all.length - 1, at + step));
    all.forEach(function (li) { li.classList.remove("current"); });
    all[next].classList.add("current");
    var link = all[next].querySelector("a");
    if (link) { link.focus(); }
    all[next].scrollIntoView({ block: "nearest" });
  }

  function help(show) {
    var overlay = document.getElementById("shortcuts");
    if (!overlay) { return; }
    overlay.hidden = !show;
    if (show) { overlay.querySelector("button").focus(); }
  }

  function focusOn(id) {
    var box = document.getElementById(id);
    if (!box) { return false; }
    box.scrollIntoView({ block: "center" });
    box.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var closes = event.target.closest && event.target.closest("[data-closes]");
    if (closes) { help(false); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { help(false); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var done = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": {
        var current = document.querySelector("#queue .tickets > li.current input.pick");
        if (current) { current.checked = !current.checked; } else { done = false; }
        break;
      }
      case "/": done = focusOn("search-box"); break;
      case "r": done = focusOn("reply-text"); break;
      case "n": done = focusOn("note-text"); break;
      case "?": {
        var overlay = document.getElementById("shortcuts");
        if (overlay) { help(overlay.hidden); } else { done = false; }
        break;
      }
      default: done = false;
    }
    if (done) { event.preventDefault(); }
  });
})();
