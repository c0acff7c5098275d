// The statistics page's charts, drawn by Chart.js (vendored: chart.umd.min.js) from the
// tables beside them. The tables are what the page says; a chart only shows them: it is
// hidden from screen readers, and a "< 5" cell is drawn as no bar, its label saying "< 5".
"use strict";
(function () {
  function chartOf(table) {
    const columns = Array.from(table.querySelectorAll("thead th")).slice(1);
    const rows = Array.from(table.querySelectorAll("tbody tr"));
    const labels = rows.map(function (row) {
      const label = row.querySelector("th").textContent.trim();
      const hidden = Array.from(row.querySelectorAll("td")).some(function (cell) {
        return cell.dataset.value === "";
      });
      return hidden ? label + " (< 5)" : label;
    });
    const colours = ["#2f6f9f", "#b45309"];
    const datasets = columns.map(function (column, i) {
      return {
        label: column.textContent.trim(),
        data: rows.map(function (row) {
          const value = row.querySelectorAll("td")[i].dataset.value;
          return value === "" ? null : Number(value);
        }),
        backgroundColor: colours[i % colours.length],
      };
    });
    const canvas = document.createElement("canvas");
    canvas.setAttribute("aria-hidden", "true");
    const box = document.createElement("div");
    box.className = "chart " + table.dataset.chart;
    box.appendChild(canvas);
    const figure = table.closest("figure");
    figure.insertBefore(box, figure.firstChild);
    const vertical = table.dataset.chart === "column";
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: vertical ? "x" : "y",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
      },
    });
  }
  function draw() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("table[data-chart]").forEach(function (table) {
      if (table.dataset.drawn) return;
      table.dataset.drawn = "1";
      chartOf(table);
    });
  }
  // Loaded whole, or swapped in by htmx (which runs this file again): draw now or when ready.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
