/* Open Alerts: refresh the table every 3 s without reloading the page, and submit the
   row forms (acknowledge, delete) in place. Without JavaScript the page still works:
   the filters are a GET form and the row forms post and redirect back. */
(function () {
  "use strict";

  var INTERVAL_MS = 3000;
  var body = document.getElementById("open-alerts-body");
  if (!body) {
    return;
  }
  var rowsUrl = body.getAttribute("data-rows-url");
  var countEl = document.getElementById("open-alerts-count");
  var statusEl = document.getElementById("open-alerts-refresh");
  var pageUrl = window.location.pathname + window.location.search;
  var inFlight = false;
  var again = false;

  function rowsQuery() {
    // Same filters as the page; "next" makes the row forms return to the page.
    var params = new URLSearchParams(window.location.search);
    params.set("next", pageUrl);
    return rowsUrl + "?" + params.toString();
  }

  function countText(data) {
    var text = data.count + " open alert" + (data.count === 1 ? "" : "s");
    if (data.shown < data.count) {
      text += ", showing the newest " + data.shown;
    }
    return text;
  }

  function showStatus(text, failed) {
    statusEl.textContent = text;
    statusEl.classList.toggle("error", Boolean(failed));
  }

  function refresh(force) {
    if (inFlight) {
      again = again || Boolean(force);
      return;
    }
    // An open More menu would close under the user's pointer; wait until it is closed.
    if (!force && body.querySelector("details[open]")) {
      return;
    }
    inFlight = true;
    fetch(rowsQuery(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (response.redirected && response.url.indexOf("/login/") !== -1) {
          // The session ended: show the login page rather than a table that never updates.
          window.location.reload();
          throw new Error("signed out");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        body.innerHTML = data.html;
        countEl.textContent = countText(data);
        showStatus("Updated " + new Date().toLocaleTimeString(), false);
      })
      .catch(function (error) {
        showStatus("Refresh failed (" + error.message + "), retrying", true);
      })
      .finally(function () {
        inFlight = false;
        if (again) {
          again = false;
          refresh(true);
        }
      });
  }

  body.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-action")) {
      return;
    }
    event.preventDefault();
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      return;
    }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        refresh(true);
      })
      .catch(function (error) {
        showStatus("Action failed (" + error.message + ")", true);
      });
  });

  window.setInterval(refresh, INTERVAL_MS);
})();
