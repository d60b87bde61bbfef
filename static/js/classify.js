// The classify page: photo preview, drag and drop, size check, upload progress, network errors.
(function () {
  "use strict";
  var form = document.getElementById("classify-form");
  if (!form) { return; }
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var preview = document.getElementById("preview");
  var progress = document.getElementById("upload-progress");
  var result = document.getElementById("result");
  var maxBytes = Number(form.dataset.maxBytes);
  // The words come translated from the page (data-messages): this file holds no sentence.
  var say = JSON.parse(form.dataset.messages);

  function showMessage(title, text) {
    // Built with textContent: nothing here is ever parsed as HTML.
    var card = document.createElement("div");
    card.className = "card error";
    card.setAttribute("role", "alert");
    var heading = document.createElement("h2");
    heading.textContent = title;
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    card.append(heading, paragraph);
    result.replaceChildren(card);
  }

  function drawPreview(file) {
    // createImageBitmap needs no blob: or data: URL, so a strict CSP still allows the preview.
    preview.hidden = true;
    if (!file || !window.createImageBitmap) { return; }
    createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(preview.width / bitmap.width, preview.height / bitmap.height);
      var width = bitmap.width * scale, height = bitmap.height * scale;
      var context = preview.getContext("2d");
      context.clearRect(0, 0, preview.width, preview.height);
      context.drawImage(bitmap, (preview.width - width) / 2, (preview.height - height) / 2,
                        width, height);
      preview.setAttribute("aria-label", say.preview_of.replace("{name}", file.name));
      preview.hidden = false;
    }).catch(function () { preview.hidden = true; });
  }

  input.addEventListener("change", function () { drawPreview(input.files[0]); });

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  form.addEventListener("htmx:confirm", function (event) {
    var file = input.files[0];
    if (file && maxBytes && file.size > maxBytes) {
      event.preventDefault();
      showMessage(say.failed, say.too_large);
    }
  });
  form.addEventListener("htmx:beforeRequest", function () { progress.value = 0; });
  form.addEventListener("htmx:xhr:progress", function (event) {
    if (event.detail.lengthComputable) {
      progress.value = Math.round(event.detail.loaded / event.detail.total * 100);
    }
  });
  // On a phone the card sits below the form: bring the answer into view.
  result.addEventListener("htmx:afterSettle", function () {
    var box = result.getBoundingClientRect();
    if (box.top > window.innerHeight || box.bottom < 0) {
      result.scrollIntoView({ block: "start" });
    }
  });
  form.addEventListener("htmx:responseError", function (event) {
    showMessage(say.failed, event.detail.xhr.status === 429 ? say.rate_limited : say.server_error);
  });
  // The feedback and erase forms live inside the result card: tell their failures beside them.
  ["htmx:responseError", "htmx:sendError"].forEach(function (name) {
    result.addEventListener(name, function (event) {
      var inner = event.target.closest("#feedback form, .erase form");
      if (!inner) { return; }
      var note = inner.querySelector(".error-text") || document.createElement("p");
      note.className = "error-text";
      note.setAttribute("role", "alert");
      note.textContent = inner.closest(".erase") ? say.erase_failed : say.feedback_failed;
      inner.prepend(note);
    });
  });
  form.addEventListener("htmx:sendError", function () {
    showMessage(say.unreachable, say.check_connection);
  });
})();
