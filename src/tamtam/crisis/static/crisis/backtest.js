// Back-test chart: observed and expected per minute, alerts as red points (Chart.js from node_modules).
(function () {
  function draw() {
    var canvas = document.getElementById("backtest-chart");
    var data = document.getElementById("backtest-data");
    if (!canvas || !data || typeof Chart === "undefined") return;
    var chart = JSON.parse(data.textContent);
    var names = JSON.parse(document.getElementById("backtest-labels").textContent);
    var alerts = chart.labels.map(function () { return null; });
    chart.alerts.forEach(function (a) { alerts[a.index] = chart.values[a.index]; });
    new Chart(canvas, {
      type: "line",
      data: {
        labels: chart.labels,
        datasets: [
          { label: names.observed, data: chart.values, borderColor: "#1971c2", pointRadius: 0, borderWidth: 1 },
          { label: names.expected, data: chart.expected, borderColor: "#868e96", borderDash: [4, 3], pointRadius: 0, borderWidth: 1 },
          { label: names.alert, data: alerts, borderColor: "#e03131", backgroundColor: "#e03131", showLine: false, pointRadius: 6 },
        ],
      },
      options: { responsive: true, animation: false, scales: { y: { beginAtZero: true } } },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
