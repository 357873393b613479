/* Tixxety pages: small enhancements only. Every page works without this file. */
(function () {
  "use strict";

  // Countdown to a reservation's expiry: <p data-countdown="ISO time" data-expired-text="...">.
  // At zero the page reloads, and the server renders the order as expired.
  function startCountdown(element) {
    var deadline = Date.parse(element.getAttribute("data-countdown"));
    var output = element.querySelector("[data-countdown-left]");
    if (isNaN(deadline) || !output) return;
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      output.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) {
        clearInterval(timer);
        element.textContent = element.getAttribute("data-expired-text");
        document.querySelectorAll("[data-disable-on-expiry]").forEach(function (button) {
          button.disabled = true;
        });
        setTimeout(function () { window.location.reload(); }, 1500);
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }

  // "Near me" on the events list: fill near=lat,lng from the browser, then submit.
  function startNearMe(button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var form = button.form;
      var status = document.getElementById(button.getAttribute("aria-describedby"));
      if (status) status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.near.value =
          position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
        form.submit();
      }, function () {
        if (status) status.textContent = "Your browser did not share a location; type a place into the search instead.";
      }, { timeout: 10000 });
    });
  }

  // "Use my location" on the profile: fill the latitude and longitude fields.
  function startLocate(button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        button.form.elements.latitude.value = position.coords.latitude.toFixed(4);
        button.form.elements.longitude.value = position.coords.longitude.toFixed(4);
      });
    });
  }

  // Live availability on an event page: poll the public API and update the counts.
  function startAvailability(table) {
    var url = table.getAttribute("data-availability");
    function refresh() {
      if (document.hidden) return;
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (types) {
          types.forEach(function (type) {
            var cell = table.querySelector('[data-available-for="' + type.ticket_type + '"]');
            if (cell) cell.textContent = type.available > 0 ? type.available + " left" : "Sold out";
          });
        })
        .catch(function () { /* the numbers on the page stay; the next poll tries again */ });
    }
    setInterval(refresh, 15000);
  }

  // A queued ticket request: poll its position every 2 s; once decided, reload to show the outcome.
  function startQueuePosition(element) {
    var url = element.getAttribute("data-queue-poll");
    var output = element.querySelector("[data-queue-position]");
    var timer = setInterval(function () {
      if (document.hidden) return;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (request) {
          if (!request) return;
          if (request.status !== "queued") {
            clearInterval(timer);
            window.location.reload();
          } else if (output) {
            output.textContent = request.position;
          }
        })
        .catch(function () { /* the next poll tries again */ });
    }, 2000);
  }

  document.querySelectorAll("[data-countdown]").forEach(startCountdown);
  document.querySelectorAll("[data-queue-poll]").forEach(startQueuePosition);
  document.querySelectorAll("[data-near-me]").forEach(startNearMe);
  document.querySelectorAll("[data-locate]").forEach(startLocate);
  document.querySelectorAll("[data-availability]").forEach(startAvailability);
})();
