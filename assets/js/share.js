// Share cards: Web Share, copy alt text, and the content editor's live preview.
// Progressive enhancement: without this file the pages still offer downloads, plain share
// links, visible alt text and a "Preview" button that asks the server.
(function () {
  "use strict";

  function statusFor(element) {
    var root = element.closest("[data-share-root]");
    return root ? root.querySelector("[data-share-status]") : null;
  }

  function announce(element, message) {
    var status = statusFor(element);
    if (!status) return;
    status.textContent = "";
    // A fresh text node is announced even when the message repeats.
    window.setTimeout(function () { status.textContent = message; }, 50);
    window.clearTimeout(status._clear);
    status._clear = window.setTimeout(function () { status.textContent = ""; }, 4000);
  }

  // The words this file shows come from the page (data-text-* on the share tools, written in
  // the page's language by the server); the English is only a fallback.
  function text(element, name, fallback) {
    var root = element.closest("[data-share-root]");
    return (root && root.getAttribute("data-text-" + name)) || fallback;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      try {
        if (document.execCommand("copy")) resolve(); else reject(new Error("copy failed"));
      } catch (e) {
        reject(e);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  // --- Copy alt text -------------------------------------------------------------------------
  document.querySelectorAll("[data-copy-alt]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy-alt"));
      if (!source) return;
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      copyText(source.textContent.trim()).then(function () {
        button.textContent = text(button, "alt-copied", "Alt text copied");
        button.classList.add("is-done");
        announce(button, text(button, "alt-copied-status", "Alt text copied to the clipboard."));
        window.setTimeout(function () {
          button.textContent = label;
          button.classList.remove("is-done");
        }, 2500);
      }, function () {
        var details = source.closest("details");
        if (details) details.open = true;
        announce(button, text(button, "copy-blocked",
          "Copying is blocked here: select the alt text below and copy it."));
      });
    });
  });

  // --- Web Share (with the image file where the browser allows it) ---------------------------
  if (typeof navigator.share === "function") {
    document.querySelectorAll("[data-share-file]").forEach(function (button) {
      button.hidden = false;
      var cached = null;
      function imageFile() {
        if (cached) return Promise.resolve(cached);
        return fetch(button.getAttribute("data-share-file"), { credentials: "omit" })
          .then(function (response) {
            if (!response.ok) throw new Error("image unavailable");
            return response.blob();
          })
          .then(function (blob) {
            cached = new File([blob], button.getAttribute("data-share-name") || "card.png",
              { type: "image/png" });
            return cached;
          });
      }
      // Fetch ahead so the share sheet opens while the click still counts as a user gesture.
      ["pointerenter", "focus"].forEach(function (type) {
        button.addEventListener(type, function () { imageFile().catch(function () {}); },
          { once: true });
      });
      button.addEventListener("click", function () {
        var title = button.getAttribute("data-share-title") || document.title;
        var text = button.getAttribute("data-share-text") || "";
        var url = button.getAttribute("data-share-url") || window.location.href;
        var withLink = function () { return navigator.share({ title: title, text: text, url: url }); };
        imageFile().then(function (file) {
          var data = { files: [file], title: title, text: text + " " + url };
          if (navigator.canShare && navigator.canShare(data)) return navigator.share(data);
          return withLink();
        }, withLink).catch(function (error) {
          if (error && error.name === "AbortError") return;
          announce(button, text(button, "share-failed",
            "Sharing did not work here. Use a link below or download the card."));
        });
      });
    });
  }

  // --- Content editor: live preview ----------------------------------------------------------
  var form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  var image = document.querySelector("[data-preview-img]");
  var placeholder = document.querySelector("[data-preview-empty]");
  var state = document.querySelector("[data-preview-state]");
  var timer = null;
  var sequence = 0;
  var objectUrl = null;

  function setState(message) {
    if (state) state.textContent = message;
  }

  function showFit(errors) {
    form.querySelectorAll("[data-fit-for]").forEach(function (note) {
      var message = errors[note.getAttribute("data-fit-for")] || "";
      note.textContent = message;
      note.hidden = !message;
    });
  }

  function refresh() {
    var myth = form.querySelector("[name=myth]");
    var fact = form.querySelector("[name=fact]");
    if (!myth || !fact || !myth.value.trim() || !fact.value.trim()) {
      setState("Type a myth and a fact to see the card.");
      return;
    }
    var mine = ++sequence;
    setState("Updating the preview…");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "image/png, application/json" }
    }).then(function (response) {
      if (mine !== sequence) return null;
      if (response.status === 422) {
        return response.json().then(function (body) {
          if (mine !== sequence) return;
          showFit(body.errors || {});
          if (image) image.classList.add("is-stale");
          setState("The preview is out of date: fix the text marked above.");
        });
      }
      if (!response.ok) throw new Error("preview failed");
      return response.blob().then(function (blob) {
        if (mine !== sequence) return;
        showFit({});
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = URL.createObjectURL(blob);
        if (!image) {
          // No saved card yet: the page has no image until the first preview arrives.
          image = document.createElement("img");
          image.className = "editor__image";
          image.setAttribute("data-preview-img", "");
          image.alt = "Preview of the card with the text above";
          if (placeholder) placeholder.parentNode.insertBefore(image, placeholder);
        }
        image.src = objectUrl;
        image.classList.remove("is-stale");
        if (placeholder) placeholder.hidden = true;
        setState("Preview updated (not saved yet).");
      });
    }).catch(function () {
      if (mine === sequence) setState("The preview could not be updated. Use the Preview button.");
    });
  }

  form.addEventListener("input", function (event) {
    if (!event.target.name || event.target.name === "slug") return;
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  });
  var preset = form.querySelector("[name=preview_preset]");
  if (preset) preset.addEventListener("change", refresh);
})();
