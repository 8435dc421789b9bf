/* Bearing charts: draw the Plotly figures embedded as JSON, and follow a click to the records behind it.
   Every element with data-chart="<id of a JSON script>" becomes a chart; content swapped in by htmx too.
   When every chart of the page (or of a swapped fragment) is drawn, that root dispatches the bubbling event
   "bearing:charts-drawn" (detail.count: how many charts it drew). */
(function () {
  "use strict";

  function follow(event) {
    var point = event.points && event.points[0];
    var target = point && point.customdata;
    if (Array.isArray(target)) { target = target[0]; }
    if (typeof target === "string" && (target.charAt(0) === "/" || target.charAt(0) === "#")) {
      window.location.href = target;
    }
  }

  var loading = null;

  function withPlotly(then) {
    // Plotly is large: fetch it (from our own static files) only on pages that have a chart.
    if (window.Plotly) { then(); return; }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = document.body.dataset.plotlySrc;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    loading.then(then);
  }

  function draw(root) {
    if (!root.querySelector || !root.querySelector("[data-chart]")) { return; }
    withPlotly(function () { drawCharts(root); });
  }

  function drawCharts(root) {
    var drawing = [];
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      if (element.dataset.drawn === "1") { return; }
      var source = document.getElementById(element.dataset.chart);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      drawing.push(window.Plotly.newPlot(element, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
        toImageButtonOptions: { format: "png", filename: "bearing-" + (element.dataset.name || "chart"), scale: 2 }
      }).then(function () {
        element.dataset.drawn = "1";
        element.setAttribute("data-drawn", "1");
        element.on("plotly_click", follow);
      }));
    });
    // the browser benchmark (manage.py bench_browser) times the dashboard by this event
    if (drawing.length) {
      Promise.all(drawing).then(function () {
        root.dispatchEvent(new CustomEvent("bearing:charts-drawn", { bubbles: true, detail: { count: drawing.length } }));
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
