/* Door check-in (/checkin/): answer in place through the API, and scan with the camera.

   Without this file the form posts to the page and the server answers; with it, a
   code is checked in by fetch (session cookie + CSRF header) and the answer and the
   count change in place (the count from its own endpoint, so that a scan stays two
   statements). The camera uses the browser's BarcodeDetector, or the
   vendored jsQR (static/vendor/jsqr) where there is none; jsQR is fetched only
   when the camera starts without BarcodeDetector. */
(function () {
  "use strict";

  var form = document.querySelector("[data-checkin-form]");
  if (!form) return;
  var input = form.querySelector("[name=secret]");
  var eventId = form.querySelector("[name=event]").value;
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var answer = document.querySelector("[data-checkin-answer]");
  var SAME_CODE_PAUSE_MS = 3000;
  var lastCode = "";
  var lastCodeAt = 0;
  var busy = false;

  function line(text, className) {
    var p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  function ticketLine(ticket, ok) {
    var parts = [ticket.ticket_type.name];
    if (ticket.seat) parts.push("seat " + ticket.seat);
    if (ticket.holder_name) parts.push(ticket.holder_name);
    parts.push("order " + ticket.order);
    if (!ok) parts.push(ticket.event.title);
    return parts.join(" · ");
  }

  function show(ok, detail, ticket) {
    var box = document.createElement("div");
    box.className = "verdict " + (ok ? "verdict-ok" : "verdict-bad");
    box.appendChild(line(ok ? "Admit" : "Stop", "verdict-word"));
    box.appendChild(line(detail));
    if (ticket) box.appendChild(line(ticketLine(ticket, ok)));
    answer.replaceChildren(box);
  }

  // The count of this event (every door's scans): after a scan, at most once a second, and every 10 s.
  var countTimer = null;
  function refreshCount() {
    countTimer = null;
    fetch(form.getAttribute("data-count-api") + "?event=" + eventId, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        document.querySelector("[data-checked-in]").textContent = counts.checked_in;
        document.querySelector("[data-sold]").textContent = counts.sold;
      })
      .catch(function () {});
  }
  function refreshCountSoon() {
    if (countTimer === null) countTimer = setTimeout(refreshCount, 1000);
  }
  setInterval(refreshCountSoon, 10000);

  function checkIn(code) {
    if (busy) return;
    busy = true;
    var url = form.getAttribute("data-api").replace("SECRET", encodeURIComponent(code)) + "?event=" + eventId;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (result) {
        var body = result.body;
        if (result.status === 200) {
          show(true, body.detail, body.ticket);
          refreshCountSoon();
        } else if (result.status === 404) {
          show(false, "No ticket has this code.", null);
        } else {
          show(false, body.detail || "Refused.", body.ticket || null);
        }
      })
      .catch(function () {
        show(false, "No answer from the server: check the connection and scan again.", null);
      })
      .finally(function () {
        busy = false;
        input.value = "";
        input.focus();
      });
  }

  form.addEventListener("submit", function (submitted) {
    var code = input.value.trim();
    if (!code) return;
    submitted.preventDefault();
    checkIn(code);
  });

  // --- camera ---

  var cameraButton = form.querySelector("[data-camera]");
  var video = form.querySelector("[data-camera-view]");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  cameraButton.hidden = false;

  function scanned(code) {
    var now = Date.now();
    if (code === lastCode && now - lastCodeAt < SAME_CODE_PAUSE_MS) return; // still in front of the camera
    lastCode = code;
    lastCodeAt = now;
    checkIn(code);
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = form.getAttribute("data-jsqr");
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }

  function decoder() {
    return nativeDetector().then(function (detector) {
      if (detector) {
        return function () {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }
      return loadJsQR().then(function (jsQR) {
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d", { willReadFrequently: true });
        return function () {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          if (!canvas.width) return Promise.resolve(null);
          context.drawImage(video, 0, 0);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          return Promise.resolve(found ? found.data : null);
        };
      });
    });
  }

  var stream = null;

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    cameraButton.textContent = "Scan with camera";
  }

  cameraButton.addEventListener("click", function () {
    if (stream) { stop(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = stream;
        video.hidden = false;
        cameraButton.textContent = "Stop camera";
        return video.play().then(decoder);
      })
      .then(function (decode) {
        function loop() {
          if (!stream) return;
          decode().then(function (code) {
            if (code) scanned(code.trim());
          }).catch(function () {}).finally(function () { setTimeout(loop, 150); });
        }
        loop();
      })
      .catch(function () {
        stop();
        show(false, "The camera could not start: type the code instead.", null);
      });
  });
})();
