/* Draws each statistics table's chart with the vendored ECharts; the table under it carries the same data. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("chart-data");
    if (!source || !window.echarts) { return; }
    var charts = JSON.parse(source.textContent);
    var colours = ["#b4232a", "#1456a8", "#e3a21a", "#1f7a3d", "#6b4fa0"];
    document.querySelectorAll(".chart[data-key]").forEach(function (node) {
      var data = charts[node.getAttribute("data-key")];
      if (!data) { return; }
      var chart = window.echarts.init(node);
      var option;
      if (data.kind === "pie") {
        option = {
          color: colours, tooltip: { trigger: "item" }, legend: { type: "scroll", bottom: 0 },
          series: [{ type: "pie", radius: ["30%", "65%"], data: data.labels.map(function (label, i) {
            return { name: label, value: data.series[0].data[i] }; }) }]
        };
      } else {
        option = {
          color: colours, tooltip: { trigger: "axis" }, legend: { top: 0 },
          grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
          xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
          yAxis: { type: "value" },
          series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
        };
      }
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
}());
