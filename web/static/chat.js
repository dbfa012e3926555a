// The web chat page: sends a message (a photo downscaled first), shows the answers with the first one in view,
// and waits for the helpdesk's messages by long polling, less often when the user is idle, not while hidden.
(function () {
  "use strict";
  var MAX_SIDE = 1920;           // px on the long side: a phone screenshot stays legible, a 12 MP photo shrinks
  var JPEG_QUALITY = 0.85;
  var KEEP_AS_IS_BYTES = 600 * 1024;
  var IDLE_AFTER_MS = 2 * 60 * 1000;      // no typing, tapping or new message for this long: idle
  var ASLEEP_AFTER_MS = 30 * 60 * 1000;

  var body = document.body;
  var texts = JSON.parse(body.dataset.texts);
  var holdSeconds = parseFloat(body.dataset.wait) || 25;
  var photoLimit = parseInt(body.dataset.photoLimit, 10) || 10 * 1024 * 1024;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var fileInput = form.querySelector("input[type=file]");
  var preview = document.getElementById("preview");
  var notice = document.getElementById("notice");
  var badge = document.getElementById("ticket");
  var photo = null;          // {blob, name, url} waiting to go with the next message
  var busy = false;
  var lastActivity = Date.now();
  var waiting = null;        // the AbortController of the wait request in flight
  var timer = null;
  var failures = 0;

  function say(text) { notice.textContent = text; notice.hidden = false; }
  function unsay() { notice.hidden = true; notice.textContent = ""; }
  function active() { lastActivity = Date.now(); }

  function bubbleIds() {
    var ids = {};
    log.querySelectorAll(".bubble[data-id]").forEach(function (b) { ids[b.dataset.id] = true; });
    return ids;
  }

  function lastId() {
    var last = 0;
    log.querySelectorAll(".bubble[data-id]").forEach(function (b) { last = Math.max(last, +b.dataset.id); });
    return last;
  }

  // Adds the bubbles of an answer (HTML from the server) that the page does not have yet.
  function append(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var known = bubbleIds();
    var fresh = Array.prototype.filter.call(holder.content.querySelectorAll(".bubble"), function (b) {
      return !b.dataset.id || !known[b.dataset.id];
    });
    if (!fresh.length) { return; }
    if (fresh.some(function (b) { return b.dataset.id; })) {
      log.querySelectorAll(".bubble.preview").forEach(function (b) { b.remove(); });  // the real greeting came
      document.querySelectorAll("details.resume").forEach(function (d) { d.remove(); });  // only for a new visitor
    }
    if (fresh.some(function (b) { return b.querySelector(".choices") || b.classList.contains("me"); })) {
      log.querySelectorAll(".choices").forEach(function (c) { c.remove(); });  // only the newest question's apply
    }
    fresh.forEach(function (b) { log.appendChild(b); });
    fresh.forEach(function (b) {
      if (b.dataset.ticket) { badge.textContent = b.dataset.ticket; badge.hidden = false; }
    });
    var first = fresh.filter(function (b) { return b.classList.contains("bot"); })[0] || fresh[fresh.length - 1];
    var top = document.querySelector("header");  // sticky: the answer must start below it, however tall it wraps
    first.style.scrollMarginTop = ((top ? top.getBoundingClientRect().height : 0) + 8) + "px";
    first.scrollIntoView({block: "start"});  // the first answer's top in view, however long the answers are
    active();
  }

  function refusal(response) {
    if (response.status === 413) { return Promise.resolve(texts.too_big); }
    return response.json().then(function (j) { return j.message || texts.failed; }, function () { return texts.failed; });
  }

  function send(fields) {
    if (busy) { return; }
    busy = true;
    unsay();
    var data = new FormData();
    data.append("lang", form.elements.lang.value);
    Object.keys(fields).forEach(function (k) { data.append(k, fields[k]); });
    var withPhoto = photo && !fields.choice;
    if (withPhoto) { data.append("photo", photo.blob, photo.name); }
    return fetch("/web/chat/send", {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { return refusal(response).then(say); }  // what the user typed stays
        return response.text().then(function (html) {
          if (!fields.choice) { input.value = ""; clearPhoto(); }
          append(html);
          rewait(0);
        });
      }, function () { say(texts.failed); })
      .then(function () { busy = false; });
  }

  // -- photos ------------------------------------------------------------------------------------------
  function clearPhoto() {
    if (photo) { URL.revokeObjectURL(photo.url); }
    photo = null;
    fileInput.value = "";
    preview.hidden = true;
    preview.querySelector("img").removeAttribute("src");
  }

  function downscale(file) {
    if (!window.createImageBitmap) { return Promise.resolve({blob: file, name: file.name}); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= KEEP_AS_IS_BYTES) { return {blob: file, name: file.name}; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG gets a white background, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var base = (file.name || "photo").replace(/\.[^.]*$/, "");
          resolve(blob ? {blob: blob, name: base + ".jpg"} : {blob: file, name: file.name});
        }, "image/jpeg", JPEG_QUALITY);
      });
    }, function () { return {blob: file, name: file.name}; });  // a format the browser cannot draw: as it is
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    unsay();
    if (!file) { return; }
    if (!/^image\//.test(file.type)) { clearPhoto(); say(texts.not_image); return; }
    downscale(file).then(function (made) {
      if (made.blob.size > photoLimit) { clearPhoto(); say(texts.too_big); return; }
      if (photo) { URL.revokeObjectURL(photo.url); }
      photo = {blob: made.blob, name: made.name, url: URL.createObjectURL(made.blob)};
      preview.querySelector("img").src = photo.url;
      preview.hidden = false;
      active();
    });
  });
  preview.querySelector(".remove").addEventListener("click", function () { clearPhoto(); input.focus(); });

  // -- sending ----------------------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.value.trim() && !photo) { return; }
    send({text: input.value});
  });
  log.addEventListener("click", function (event) {
    var choice = event.target.closest("button[data-choice]");
    if (choice) { send({choice: choice.dataset.choice}); return; }
    var more = event.target.closest("button.more");
    if (more) {
      var open = more.closest(".bubble").classList.toggle("open");
      more.setAttribute("aria-expanded", String(open));
      more.textContent = open ? texts.read_less : texts.read_more;
    }
  });
  input.addEventListener("input", active);

  // -- waiting for the helpdesk -----------------------------------------------------------------------
  function pause() {
    var idle = Date.now() - lastActivity;
    if (failures) { return Math.min(60000, 1000 * Math.pow(2, failures)); }
    if (idle < IDLE_AFTER_MS) { return 0; }
    return idle < ASLEEP_AFTER_MS ? 20000 : 120000;
  }

  function rewait(after) {
    clearTimeout(timer);
    if (waiting) { waiting.abort(); waiting = null; }
    if (document.hidden || !log.querySelector(".bubble[data-id]")) { return; }  // no conversation yet: nothing comes
    timer = setTimeout(wait, after);
  }

  function wait() {
    var controller = new AbortController();
    waiting = controller;
    fetch("/web/chat/wait?after=" + lastId() + "&hold=" + holdSeconds,
          {credentials: "same-origin", signal: controller.signal})
      .then(function (response) {
        if (response.status === 200) { failures = 0; return response.text().then(append); }
        failures = response.status === 204 ? 0 : failures + 1;
      })
      .then(function () {
        if (waiting === controller) { waiting = null; rewait(pause()); }
      }, function () {
        if (waiting === controller) { waiting = null; failures += 1; rewait(pause()); }
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { rewait(0); } else { active(); rewait(0); }
  });
  window.scrollTo(0, document.body.scrollHeight);  // a redrawn conversation opens at its newest bubble
  rewait(0);
})();
