// Rule editor, Test on history: post the form as it is (unsaved) to the backtest
// endpoint, then show the charts with the OPEN/REPEAT/CANCEL markers (uPlot, as the
// portals draw), the sequence, the windows and the messages each binding would send.
(function () {
  "use strict";

  var box = document.getElementById("backtest");
  if (!box) return;
  var button = document.getElementById("test-on-history");
  var results = document.getElementById("backtest-results");
  var form = box.closest("form");
  var COLOURS = { OPEN: "#d1242f", REPEAT: "#bf8700", CANCEL: "#1a7f37" };

  function fmt(ms) {
    return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function table(id, head, rows) {
    var t = el("table", { id: id, class: "grid" });
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", {}, h)); });
    t.appendChild(el("thead")).appendChild(tr);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (cells) {
      var row = body.appendChild(el("tr"));
      cells.forEach(function (c) {
        var td = row.appendChild(el("td", c.cls ? { class: c.cls } : {}, c.text));
        if (c.colour) td.style.color = c.colour;
      });
    });
    return t;
  }

  function markers(marks) {
    return {
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx;
            var dpr = devicePixelRatio;
            ctx.save();
            ctx.font = 11 * dpr + "px sans-serif";
            marks.forEach(function (m) {
              if (m.value === null) return;
              var x = u.valToPos(m.time / 1000, "x", true);
              var y = u.valToPos(m.value, "y", true);
              ctx.strokeStyle = ctx.fillStyle = COLOURS[m.status] || "#57606a";
              ctx.setLineDash([4, 3]);
              ctx.lineWidth = dpr;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.setLineDash([]);
              ctx.beginPath();
              ctx.arc(x, y, 5 * dpr, 0, 2 * Math.PI);
              ctx.fill();
              ctx.fillText(m.status, x + 6 * dpr, u.bbox.top + 12 * dpr);
            });
            ctx.restore();
          },
        ],
      },
    };
  }

  function chart(data, parent, start, end) {
    var section = parent.appendChild(el("section", { class: "backtest-chart" }));
    section.appendChild(el("div", { class: "chart-title" }, data.label));
    var values = data.values.filter(function (v) { return v !== null; });
    var lo = values.length ? Math.min.apply(null, values) : 0;
    var hi = values.length ? Math.max.apply(null, values) : 1;
    var pad = (hi - lo) * 0.1 || 1;
    var width = Math.max(320, (parent.clientWidth || 900) - 8);
    new uPlot(
      {
        width: width,
        height: 220,
        cursor: { show: false },
        legend: { show: false },
        scales: { x: { time: true, range: [start / 1000, end / 1000] }, y: { range: [lo - pad, hi + pad] } },
        series: [{}, { label: data.label, stroke: "#0969da", width: 2, points: { show: data.values.length < 120 } }],
        plugins: [markers(data.marks)],
      },
      [data.times.map(function (t) { return t / 1000; }), data.values],
      section
    );
  }

  function show(report) {
    results.textContent = "";
    var summary = report.samples + " samples from " + fmt(report.start) + " to " + fmt(report.end) +
      ": " + plural(report.triggers_total, "trigger") + " in " + plural(report.windows.length, "window") + ".";
    results.appendChild(el("p", { id: "backtest-summary" }, summary));
    if (report.stopped) results.appendChild(el("p", { class: "field-warning" }, "Stopped: " + report.stopped));
    var charts = results.appendChild(el("div", { id: "backtest-charts" }));
    report.charts.forEach(function (c) { chart(c, charts, report.start, report.end); });
    results.appendChild(el("h3", {}, "Sequence"));
    results.appendChild(table("backtest-sequence", ["Time", "Status", "Window", "Value", "Fires"],
      report.sequence.map(function (s) {
        return [{ text: fmt(s.time), cls: "date" }, { text: s.status, colour: COLOURS[s.status] },
          { text: s.window }, { text: s.value, cls: "num" }, { text: s.fired.join(", ") }];
      })));
    results.appendChild(el("h3", {}, "Windows"));
    results.appendChild(table("backtest-windows", ["Window", "Status at the end", "Samples", "OPEN", "REPEAT", "CANCEL"],
      report.windows.map(function (w) {
        return [{ text: w.key }, { text: w.status }, { text: w.samples, cls: "num" }, { text: w.counts.OPEN, cls: "num" },
          { text: w.counts.REPEAT, cls: "num" }, { text: w.counts.CANCEL, cls: "num" }];
      })));
    results.appendChild(el("h3", {}, "Messages"));
    var list = results.appendChild(el("div", { id: "backtest-messages" }));
    if (!report.messages.length) list.appendChild(el("p", { class: "muted" }, "No binding would have sent a message."));
    report.messages.forEach(function (m) {
      var step = report.sequence[m.trigger];
      var item = list.appendChild(el("div", { class: "backtest-message card" }));
      item.appendChild(el("div", { class: "backtest-message-head" },
        fmt(step.time) + " " + m.status + " · " + m.action + (m.endpoint ? " → " + m.endpoint : "")));
      if (m.skipped) item.appendChild(el("p", { class: "field-warning" }, "Not sent: " + m.skipped));
      if (m.subject) item.appendChild(el("p", {}, "Subject: " + m.subject));
      if (m.text) item.appendChild(el("pre", { class: "backtest-text" }, m.text));
      if (m.details) item.appendChild(el("pre", { class: "backtest-details" }, m.details));
      if (m.screenshot) item.appendChild(el("p", { class: "muted" }, "A chart would be attached."));
      m.errors.forEach(function (e) { item.appendChild(el("p", { class: "field-error" }, e)); });
    });
    if (report.errors.length) {
      results.appendChild(el("h3", {}, "Rule errors"));
      results.appendChild(table("backtest-errors", ["Time", "Window", "Error"], report.errors.map(function (e) {
        return [{ text: fmt(e.time), cls: "date" }, { text: e.window || "" }, { text: e.error }];
      })));
    }
  }

  // Enter in the hours box runs the test rather than submitting (saving) the rule.
  document.getElementById("backtest-hours").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      button.click();
    }
  });

  button.addEventListener("click", function () {
    button.disabled = true;
    results.textContent = "Running…";
    fetch(box.getAttribute("data-url"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (answer) {
        if (answer.ok) {
          show(answer.data);
        } else {
          results.textContent = "";
          results.appendChild(el("p", { id: "backtest-error", class: "banner banner-error" }, answer.data.error));
        }
      })
      .catch(function (error) {
        results.textContent = "";
        results.appendChild(el("p", { id: "backtest-error", class: "banner banner-error" }, "Test on history failed: " + error));
      })
      .finally(function () {
        button.disabled = false;
        results.setAttribute("data-done", String(Date.now()));
      });
  });
})();
