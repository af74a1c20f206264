// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("click", function (event) {
  if (event.target.matches("[data-back]")) {
    event.preventDefault();
    history.back();
  }
});

// Countdown to a challenge deadline. The deadline itself is rendered by the server in
// Beijing time; this only shows the time left, and the server still decides.
(function () {
  var nodes = document.querySelectorAll(".countdown[data-deadline]");
  if (!nodes.length) return;
  function render() {
    var now = Date.now();
    nodes.forEach(function (node) {
      var left = Math.floor((Date.parse(node.getAttribute("data-deadline")) - now) / 1000);
      var label = node.getAttribute("data-label") || node.textContent;
      node.setAttribute("data-label", label);
      if (isNaN(left)) return;
      if (left <= 0) { node.textContent = "已截止（" + label.replace(/^截止：/, "") + "）"; return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      node.textContent = "距截止 " + (d ? d + " 天 " : "") + h + " 小时 " + m + " 分 " + s + " 秒 · " + label;
    });
  }
  render();
  setInterval(render, 1000);
})();

// The evaluator's own sheet: totals update as they type (Σ points / max × weight).
(function () {
  var inputs = document.querySelectorAll(".score-input");
  if (!inputs.length) return;
  function recompute(entry) {
    var total = 0, seen = false;
    document.querySelectorAll('.score-input[data-entry="' + entry + '"]').forEach(function (input) {
      var value = parseFloat(input.value);
      var max = parseFloat(input.getAttribute("data-max"));
      var weight = parseFloat(input.getAttribute("data-weight"));
      var bad = input.value !== "" && (isNaN(value) || value < 0 || value > max);
      input.classList.toggle("is-invalid", bad);
      if (!isNaN(value) && !bad) { total += value / max * weight; seen = true; }
    });
    var cell = document.querySelector('[data-total-for="' + entry + '"]');
    if (cell) cell.textContent = seen ? total.toFixed(2) : "";
  }
  var entries = {};
  inputs.forEach(function (input) {
    entries[input.getAttribute("data-entry")] = true;
    input.addEventListener("input", function () { recompute(input.getAttribute("data-entry")); });
  });
  // A sheet shown again after an error carries typed (unsaved) values: total them at once.
  Object.keys(entries).forEach(function (entry) {
    var cell = document.querySelector('[data-total-for="' + entry + '"]');
    if (cell && cell.textContent.trim() === "") recompute(entry);
  });
  document.addEventListener("click", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm-submit");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();

// 打印 buttons (the CSP forbids inline onclick); the print stylesheet in app.css lays the page out.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

// Filter panels (<details data-collapse-below>) start folded on narrow screens unless a filter is
// set; without JavaScript they simply stay open.
(function () {
  document.querySelectorAll("details[data-collapse-below]").forEach(function (details) {
    var width = parseInt(details.getAttribute("data-collapse-below"), 10);
    if (!details.hasAttribute("data-active") && window.matchMedia("(max-width: " + (width - 0.02) + "px)").matches) {
      details.open = false;
    }
  });
})();

// The evaluation plan form (templates/challenges/_plan.html): each round's weight total and its
// tie-break choices follow what is typed. Without JavaScript the server shows both on re-render.
(function () {
  var rounds = document.querySelectorAll("[data-plan-round]");
  if (!rounds.length) return;
  function refresh(round) {
    var total = 0;
    round.querySelectorAll("[data-weight]").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!isNaN(value)) total += value;
    });
    var out = round.querySelector("[data-weight-total]");
    if (out) {
      out.textContent = total;
      out.classList.toggle("text-danger", total !== 100 && total !== 0);
      out.classList.toggle("text-success", total === 100);
    }
    var select = round.querySelector("[data-tie-break]");
    if (!select) return;
    var chosen = select.value;
    var names = [];
    round.querySelectorAll("[data-criterion-name]").forEach(function (input) {
      var name = input.value.trim();
      if (name && names.indexOf(name) < 0) names.push(name);
    });
    while (select.options.length > 1) select.remove(1);
    names.forEach(function (name) {
      var option = new Option(name, name);
      option.selected = name === chosen;
      select.add(option);
    });
  }
  rounds.forEach(function (round) {
    round.addEventListener("input", function () { refresh(round); });
    refresh(round);
  });
})();
