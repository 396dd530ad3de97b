// answerkey workbench: draw the Plotly figures a page carries as JSON (see templates/_charts.html).
"use strict";
(function () {
  if (!window.Plotly) return;
  const config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach((node) => {
    const box = document.getElementById(node.dataset.chart);
    if (!box) return;
    try {
      const figure = JSON.parse(node.textContent);
      window.Plotly.newPlot(box, figure.data, figure.layout, config);
    } catch (error) {
      box.textContent = "This chart could not be drawn: " + error.message;
      box.classList.add("error");
    }
  });
})();
