// Portal pages: draw the embedded series history with uPlot, mark the alert window,
// open time and threshold, then flag the body as ready for the web driver.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("portal-data").textContent);
  var root = document.getElementById("portal-charts");
  var width = Math.max(320, document.documentElement.clientWidth - 24);
  var height = window.innerHeight || 640;
  var grid = data.layout === "grid";

  function fmt(seconds) {
    return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }
  document.getElementById("portal-range").textContent = fmt(data.start) + " \u2013 " + fmt(data.end);

  function marksPlugin(marks) {
    return {
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx;
            var top = u.bbox.top;
            var bottom = top + u.bbox.height;
            var left = u.bbox.left;
            var right = left + u.bbox.width;
            ctx.save();
            if (marks.window_start) {
              var x0 = u.valToPos(marks.window_start, "x", true);
              var x1 = marks.open_time ? u.valToPos(marks.open_time, "x", true) : right;
              ctx.fillStyle = "rgba(255, 170, 0, 0.15)";
              ctx.fillRect(Math.max(left, x0), top, Math.max(2, Math.min(right, x1) - Math.max(left, x0)), bottom - top);
            }
            if (marks.open_time) {
              var xo = u.valToPos(marks.open_time, "x", true);
              ctx.strokeStyle = "#d1242f";
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([6, 4]);
              ctx.beginPath();
              ctx.moveTo(xo, top);
              ctx.lineTo(xo, bottom);
              ctx.stroke();
              ctx.setLineDash([]);
              ctx.fillStyle = "#d1242f";
              ctx.font = 12 * devicePixelRatio + "px sans-serif";
              ctx.fillText("open", xo + 4, top + 14 * devicePixelRatio);
            }
            if (marks.threshold !== null && marks.threshold !== undefined) {
              var y = u.valToPos(marks.threshold, "y", true);
              ctx.strokeStyle = "#8250df";
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([10, 5]);
              ctx.beginPath();
              ctx.moveTo(left, y);
              ctx.lineTo(right, y);
              ctx.stroke();
              ctx.setLineDash([]);
              ctx.fillStyle = "#8250df";
              ctx.font = 12 * devicePixelRatio + "px sans-serif";
              ctx.fillText("threshold " + marks.threshold, left + 6, y - 4);
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function draw(chart, index) {
    var box = document.createElement("section");
    box.className = "chart";
    if (grid) {
      var title = document.createElement("div");
      title.className = "chart-title";
      title.textContent = chart.label;
      box.appendChild(title);
    }
    root.appendChild(box);
    var marks = data.marks || {};
    var lo = chart.values.length ? Math.min.apply(null, chart.values) : 0;
    var hi = chart.values.length ? Math.max.apply(null, chart.values) : 1;
    if (marks.threshold !== null && marks.threshold !== undefined) {
      lo = Math.min(lo, marks.threshold);
      hi = Math.max(hi, marks.threshold);
    }
    var pad = (hi - lo) * 0.08 || 1;
    var opts = {
      width: grid ? Math.floor((width - 12) / 2) : width,
      height: grid ? Math.floor((height - 90) / 3) - 22 : Math.floor((height - 130) / data.charts.length),
      legend: { show: !grid },
      cursor: { show: false },
      scales: { x: { time: true, range: [data.start, data.end] }, y: { range: [lo - pad, hi + pad] } },
      axes: [{ font: "12px sans-serif" }, { font: "12px sans-serif", size: 60 }],
      series: [
        {},
        {
          label: chart.label,
          stroke: ["#0969da", "#1a7f37", "#bf3989", "#9a6700", "#cf222e"][index % 5],
          width: 2,
          points: { show: chart.values.length < 120 },
        },
      ],
      plugins: [marksPlugin(grid ? {} : marks)],
    };
    new uPlot(opts, [chart.times, chart.values], box);
  }

  if (!data.charts.length) {
    var empty = document.createElement("p");
    empty.className = "no-data";
    empty.textContent = "No data in the series history for this selection and time range.";
    root.appendChild(empty);
  } else {
    data.charts.forEach(draw);
  }
  // uPlot draws on the next animation frame: flag readiness after it.
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      document.body.setAttribute("data-portal-ready", "1");
    });
  });
})();
