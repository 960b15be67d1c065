// Grantflow console: light enhancement of server-rendered pages. Every page works without it.
"use strict";

(function () {
  const lang = document.documentElement.lang || "ru";
  const locale = lang === "ru" ? "ru-RU" : "en-GB";

  function amount(text) {
    const cleaned = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    if (!/^\d{1,15}(\.\d{1,2})?$/.test(cleaned)) return null;
    return Math.round(parseFloat(cleaned) * 100);
  }

  function showMoney(minor) {
    return (minor / 100).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  // Derived totals as the applicant types: sums of the marked inputs, their total and the
  // declared co-financing share. The server's figures (what counts under the rules) stay beside.
  function recompute(form) {
    const sums = {};
    let unreadable = 0;
    form.querySelectorAll("[data-sum]").forEach(function (input) {
      if (input.value.trim() === "") return;
      const value = amount(input.value);
      if (value === null) { unreadable += 1; return; }
      sums[input.dataset.sum] = (sums[input.dataset.sum] || 0) + value;
    });
    const requested = sums.requested || 0;
    const cofinancing = sums.cofinancing || 0;
    const total = requested + cofinancing;
    const values = {
      requested: showMoney(requested),
      cofinancing: showMoney(cofinancing),
      total: showMoney(total),
      share: total > 0 ? (100 * cofinancing / total).toLocaleString(locale, { maximumFractionDigits: 2 }) + " %" : "—",
    };
    form.querySelectorAll("[data-total]").forEach(function (output) {
      output.textContent = values[output.dataset.total];
    });
    form.querySelectorAll("[data-unreadable]").forEach(function (note) {
      note.hidden = unreadable === 0;
    });
  }

  // A new row from the group's <template>, numbered after the last row: its input names
  // (group[__index__].field), their ids (f-group-index-field, as field_id writes them) and the
  // row number its labels read (__number__), so every id stays unique and every label true.
  function addRow(button) {
    const group = button.dataset.addRow;
    const body = document.querySelector('[data-rows="' + group + '"]');
    const template = document.getElementById("template-" + group);
    if (!body || !template) return;
    const index = body.querySelectorAll("tr").length;
    const html = template.innerHTML
      .split("__index__").join(String(index))
      .split("f-" + group + "-index-").join("f-" + group + "-" + index + "-")
      .split("__number__").join(String(index + 1));
    body.insertAdjacentHTML("beforeend", html);
    const first = body.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-totals]").forEach(function (form) {
      form.addEventListener("input", function () { recompute(form); });
      recompute(form);
    });
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        addRow(button);
        const form = button.closest("form");
        if (form && form.hasAttribute("data-totals")) recompute(form);
      });
    });
    const summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
