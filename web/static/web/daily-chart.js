// The studio dashboard's chart: money pledged per day (bars), the running total, the goal,
// and the projection to the deadline (reports.stats computes it; nothing is recomputed here).
(function () {
  "use strict";
  var source = document.getElementById("daily-chart-data");
  var canvas = document.getElementById("daily-chart");
  if (!source || !canvas || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var labels = data.labels.slice();
  var daily = data.pledged.map(Number);
  var total = data.cumulative.map(Number);
  var projection = labels.map(function () { return null; });
  if (data.projected && data.deadline && labels.length && data.deadline > labels[labels.length - 1]) {
    // One point per day up to the deadline, so the axis keeps its scale; the projection is a
    // straight line from today's total to the projected total at the deadline.
    projection[labels.length - 1] = total[total.length - 1];
    var day = new Date(labels[labels.length - 1] + "T00:00:00Z");
    var next = "";
    while (next < data.deadline && labels.length < 400) {
      day.setUTCDate(day.getUTCDate() + 1);
      next = day.toISOString().slice(0, 10);
      labels.push(next);
      daily.push(null);
      total.push(null);
      projection.push(null);
    }
    projection[projection.length - 1] = Number(data.projected);
  }
  var goal = labels.map(function () { return Number(data.goal); });
  var unit = " (" + data.currency + ")";
  new window.Chart(canvas, {
    data: {
      labels: labels,
      datasets: [
        { type: "bar", label: data.names.pledged + unit, data: daily, backgroundColor: "rgba(3,122,71,.35)", yAxisID: "y" },
        { type: "line", label: data.names.cumulative + unit, data: total, borderColor: "#037a47", tension: 0.2, spanGaps: false, yAxisID: "y" },
        { type: "line", label: data.names.projection + unit, data: projection, borderColor: "#555", borderDash: [6, 4], pointRadius: 0, spanGaps: true, yAxisID: "y" },
        { type: "line", label: data.names.goal + unit, data: goal, borderColor: "#b00020", borderDash: [2, 3], pointRadius: 0, yAxisID: "y" }
      ]
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
  });
})();
