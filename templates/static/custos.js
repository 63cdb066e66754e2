// Upload progress for evidence forms. Without JavaScript the form posts normally.
"use strict";
document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var file = form.querySelector("input[type=file]");
    if (!file || !file.files || file.files.length === 0 || !window.FormData) {
      return; // nothing large to send: the plain post is fine
    }
    event.preventDefault();
    var box = form.querySelector(".progress");
    var bar = box.querySelector("progress");
    var text = box.querySelector(".progress-text");
    box.hidden = false;
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = percent + "% of " + (e.total / 1048576).toFixed(1) + " MiB sent";
      }
    });
    xhr.upload.addEventListener("load", function () {
      text.textContent = "Sent; Custos is writing the file to disk and recording custody…";
    });
    xhr.addEventListener("load", function () {
      if (xhr.responseURL && xhr.responseURL.indexOf(form.action) === -1) {
        window.location.assign(xhr.responseURL);
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.addEventListener("error", function () {
      text.textContent = "The upload failed; nothing was stored. Check the connection and try again.";
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
    xhr.send(new FormData(form));
  });
});
