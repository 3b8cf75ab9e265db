// The campaign page's funding chart: running total per day, the goal, and the projection.
(function () {
  "use strict";
  var source = document.getElementById("funding-data");
  var canvas = document.getElementById("funding-chart");
  if (!source || !canvas || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var labels = data.labels.slice();
  var total = data.cumulative.map(Number);
  var projection = labels.map(function () { return null; });
  if (data.projected && data.deadline && labels.length && data.deadline > labels[labels.length - 1]) {
    projection[labels.length - 1] = total[total.length - 1];
    labels.push(data.deadline);
    total.push(null);
    projection.push(Number(data.projected));
  }
  var goal = labels.map(function () { return Number(data.goal); });
  var legend = data.legend || { pledged: "Pledged (" + data.currency + ")", projection: "Projection", goal: "Goal" };
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: [
        { label: legend.pledged, data: total, borderColor: "#037a47", backgroundColor: "rgba(3,122,71,.12)", fill: true, tension: 0.2, spanGaps: false },
        { label: legend.projection, data: projection, borderColor: "#555", borderDash: [6, 4], pointRadius: 0, spanGaps: true },
        { label: legend.goal, data: goal, borderColor: "#b00020", borderDash: [2, 3], pointRadius: 0 }
      ]
    },
    // Numbers on the axis grouped as the page's language writes them.
    options: { locale: document.documentElement.lang || undefined, responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
  });
})();
