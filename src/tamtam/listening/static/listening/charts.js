// Volume and sentiment chart of the listening overview (Chart.js from node_modules, see package.json).
(function () {
  function draw() {
    var canvas = document.getElementById("volume-chart");
    var data = document.getElementById("volume-data");
    if (!canvas || !data || typeof Chart === "undefined") return;
    var volume = JSON.parse(data.textContent);
    var names = JSON.parse(document.getElementById("volume-labels").textContent);
    var colors = { negative: "#e03131", neutral: "#868e96", positive: "#2f9e44" };
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: volume.labels,
        datasets: ["negative", "neutral", "positive"].map(function (s) {
          return { label: names[s], data: volume.series[s], backgroundColor: colors[s], stack: "v" };
        }),
      },
      options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
