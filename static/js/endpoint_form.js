// Endpoint form: Test without leaving the page, Show for stored secrets.
// Without JavaScript both still degrade: Test submits the whole form (the server
// re-renders it with the outcome); Show is simply unavailable.
(function () {
  "use strict";

  var form = document.getElementById("endpoint-form");
  if (!form) {
    return;
  }

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showResult(ok, text) {
    var box = document.getElementById("test-result");
    box.hidden = false;
    box.className = ok ? "notice" : "notice error";
    box.textContent = text;
  }

  function describe(data) {
    var head = data.ok ? "Test succeeded" : "Test failed";
    if (data.status) {
      head += " (HTTP " + data.status + ")";
    }
    return head + ": " + data.message;
  }

  var testButton = document.getElementById("test-button");
  if (testButton) {
    testButton.addEventListener("click", function (event) {
      event.preventDefault();
      var body = new FormData(form);
      body.append("test", "1");
      testButton.disabled = true;
      showResult(true, "Testing…");
      fetch(testButton.dataset.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("the server answered " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          showResult(data.ok, describe(data));
        })
        .catch(function (error) {
          showResult(false, "Test failed: " + error.message);
        })
        .finally(function () {
          testButton.disabled = false;
        });
    });
  }

  var shotButton = document.getElementById("screenshot-button");
  if (shotButton) {
    shotButton.addEventListener("click", function () {
      var body = new FormData(form);
      shotButton.disabled = true;
      showResult(true, "Capturing the portal and sending it\u2026");
      fetch(shotButton.dataset.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("the server answered " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          var head = data.ok ? "Screenshot sent" : "Screenshot failed";
          if (data.status) {
            head += " (HTTP " + data.status + ")";
          }
          showResult(data.ok, head + ": " + data.message);
        })
        .catch(function (error) {
          showResult(false, "Screenshot failed: " + error.message);
        })
        .finally(function () {
          shotButton.disabled = false;
        });
    });
  }

  document.querySelectorAll("button.show-secret").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.target);
      if (input.type === "text") {
        // Hide again: the revealed value stays in the input, so saving keeps it.
        input.type = "password";
        button.textContent = "Show";
        return;
      }
      fetch(button.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("the server answered " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          input.value = data.value;
          input.type = "text";
          button.textContent = "Hide";
        })
        .catch(function (error) {
          button.textContent = "Show (failed: " + error.message + ")";
        });
    });
  });
})();
