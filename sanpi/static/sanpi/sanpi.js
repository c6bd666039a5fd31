// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // New-account form: show only the unit field the chosen role needs. A hidden field is
  // disabled too, so a value chosen before the role changed is not sent (the server
  // refuses a unit on the wrong role); a field the server marked invalid stays shown.
  function syncRoleFields() {
    var role = document.getElementById("id_role");
    if (!role || !document.getElementById("user-form")) return;
    var need = {
      county: "id_county",
      zone: "id_zone",
      enterprise: "id_enterprise_code",
      department: "id_department",
      bank: "id_bank",
    };
    Object.keys(need).forEach(function (r) {
      var input = document.getElementById(need[r]);
      if (!input) return;
      var off = role.value !== r && !input.classList.contains("is-invalid");
      input.closest(".col").hidden = off;
      input.disabled = off;
    });
  }
  // New-project form: show only the stage dates the chosen stage needs.
  function syncStageDates() {
    var stage = document.getElementById("id_stage");
    if (!stage) return;
    var order = ["reserve", "signed", "started", "produced", "reached"];
    var fields = ["id_signed_date", "id_started_date", "id_produced_date", "id_reached_date"];
    var reached = order.indexOf(stage.value);
    fields.forEach(function (id, i) {
      var input = document.getElementById(id);
      if (input) input.closest(".col").hidden = i + 1 > reached && !input.value;
    });
  }
  // A problem's assignment: offer only the chosen unit's people (the server refuses a
  // person of another unit anyway).
  function syncPersons(unit) {
    var person = document.getElementById(unit.getAttribute("data-person"));
    if (!person) return;
    Array.prototype.forEach.call(person.querySelectorAll("option[data-unit]"), function (o) {
      o.hidden = o.disabled = !!unit.value && o.getAttribute("data-unit") !== unit.value;
      if (o.hidden && o.selected) person.value = "";
    });
    Array.prototype.forEach.call(person.querySelectorAll("optgroup"), function (g) {
      g.hidden = !g.querySelector("option:not([hidden])");
    });
  }
  // A job's progress bar: its width comes from data-percent, set here through the CSSOM
  // because the Content-Security-Policy allows no style attribute in the markup.
  function showPercent(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-percent]"), function (bar) {
      bar.style.width = bar.getAttribute("data-percent") + "%";
    });
  }
  // A form that asks before it posts (closing a month, removing an entry): the question
  // is its data-confirm, since the Content-Security-Policy runs no inline onsubmit.
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });
  document.addEventListener("htmx:load", function (e) {
    showPercent(e.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    showPercent(document);
    syncRoleFields();
    syncStageDates();
    Array.prototype.forEach.call(document.querySelectorAll("select[data-person]"), syncPersons);
    document.addEventListener("change", function (e) {
      if (e.target.id === "id_role") syncRoleFields();
      if (e.target.id === "id_stage") syncStageDates();
      if (e.target.hasAttribute && e.target.hasAttribute("data-person")) syncPersons(e.target);
    });
  });
})();
