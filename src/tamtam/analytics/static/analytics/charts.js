// Charts of the analytics dashboard (Chart.js from node_modules, see package.json).
(function () {
  function draw() {
    var data = document.getElementById("analytics-data");
    if (!data || typeof Chart === "undefined") return;
    var d = JSON.parse(data.textContent);
    var names = JSON.parse(document.getElementById("analytics-labels").textContent);
    var engagement = document.getElementById("engagement-chart");
    if (engagement) {
      new Chart(engagement, {
        type: "line",
        data: {
          labels: d.engagement.days,
          datasets: [
            { label: names.engagements, data: d.engagement.engagements, borderColor: "#3b5bdb", yAxisID: "y", spanGaps: false },
            { label: names.previous, data: d.engagement.previous_engagements, borderColor: "#adb5bd", borderDash: [4, 4], yAxisID: "y" },
            { label: names.impressions, data: d.engagement.impressions, borderColor: "#f08c00", yAxisID: "y2", hidden: true },
            { label: names.rate, data: d.engagement.engagement_rate, borderColor: "#2f9e44", yAxisID: "y3" },
          ],
        },
        options: {
          responsive: true,
          scales: { y: { beginAtZero: true }, y2: { display: false, beginAtZero: true }, y3: { position: "right", beginAtZero: true } },
        },
      });
    }
    var channels = document.getElementById("channels-chart");
    if (channels && d.channels.length) {
      new Chart(channels, {
        type: "bar",
        data: {
          labels: d.channels.map(function (c) { return c.name; }),
          datasets: [{ label: names.engagements, data: d.channels.map(function (c) { return c.engagements; }), backgroundColor: "#3b5bdb" }],
        },
        options: { responsive: true, indexAxis: "y" },
      });
    }
    var sentiment = document.getElementById("sentiment-chart");
    if (sentiment) {
      var colors = { negative: "#e03131", neutral: "#868e96", positive: "#2f9e44" };
      new Chart(sentiment, {
        type: "bar",
        data: {
          labels: d.sentiment.days,
          datasets: ["negative", "neutral", "positive"].map(function (s) {
            return { label: names[s], data: d.sentiment[s], backgroundColor: colors[s], stack: "s" };
          }),
        },
        options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
