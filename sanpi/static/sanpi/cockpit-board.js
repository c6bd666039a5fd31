// The cockpit's charts, drawn with ECharts (vendor/echarts/echarts.min.js, loaded first).
// Each <div class="sanpi-chart" data-chart="{JSON}"> is drawn on DOMContentLoaded from the
// figures the page also prints as tables (the server's exact decimals, as strings; Number()
// here only to draw). Kinds:
//   {"type": "funnel", "stages": [{"label", "count", "investment_wan"}], "last": {…}}
//   {"type": "months", "planned_wan", "months": [{"month", "cumulative_wan",
//                                                   "time_line_wan"}]}
//   {"type": "zones", "zones": [{"name", "completed_wan", "planned_wan"}]}
// Canvas only, tooltips drawn on the canvas (renderMode "richText"): the site's
// Content-Security-Policy allows no style attribute in the page. After drawing, each
// element carries data-state="drawn". A dark theme under <body class="sanpi-dark">.
// The print button (data-print) prints the page (the print style makes it one A4 sheet).
(function () {
  "use strict";
  var YI = 10000; // 万元 in 亿元

  function theme() {
    var dark = document.body.classList.contains("sanpi-dark");
    return {
      text: dark ? "#f8f9fa" : "#212529",
      muted: dark ? "#9aa7b4" : "#6c757d",
      grid: dark ? "#2b3a4a" : "#e9ecef",
      colors: dark
        ? ["#4fb0e6", "#ffc107", "#20c997", "#ff6b6b"]
        : ["#0d6efd", "#fd7e14", "#198754", "#dc3545"],
      big: dark && document.body.classList.contains("sanpi-screen"),
    };
  }

  function yi(wan) {
    return Math.round((Number(wan) / YI) * 100) / 100;
  }

  function axisStyle(t) {
    return {
      axisLabel: { color: t.text, fontSize: t.big ? 18 : 12 },
      axisLine: { lineStyle: { color: t.muted } },
      splitLine: { lineStyle: { color: t.grid } },
    };
  }

  function base(t) {
    return {
      animation: false,
      color: t.colors,
      textStyle: { color: t.text, fontSize: t.big ? 18 : 12 },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, textStyle: { color: t.text, fontSize: t.big ? 18 : 12 } },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    };
  }

  var BUILDERS = {
    funnel: function (data, t) {
      var labels = data.stages.map(function (s) {
        return s.label;
      });
      var last = (data.last && data.last.stages) || [];
      var option = base(t);
      option.xAxis = Object.assign({ type: "category", data: labels }, axisStyle(t));
      option.yAxis = Object.assign({ type: "value", name: "项目数" }, axisStyle(t));
      option.series = [
        {
          name: data.period || "本期",
          type: "bar",
          label: { show: true, position: "top", color: t.text },
          data: data.stages.map(function (s) {
            return s.count;
          }),
        },
        {
          name: "上年同期",
          type: "bar",
          data: last.map(function (s, i) {
            return i === 0 ? null : s.count; // 储备 is "now", it has no last year
          }),
        },
      ];
      return option;
    },
    months: function (data, t) {
      var option = base(t);
      option.xAxis = Object.assign(
        {
          type: "category",
          data: data.months.map(function (m) {
            return m.month + "月";
          }),
        },
        axisStyle(t)
      );
      option.yAxis = Object.assign({ type: "value", name: "亿元" }, axisStyle(t));
      option.series = [
        {
          name: "累计完成",
          type: "bar",
          data: data.months.map(function (m) {
            return yi(m.cumulative_wan);
          }),
        },
        {
          name: "时间进度",
          type: "line",
          symbol: "none",
          lineStyle: { type: "dashed" },
          data: data.months.map(function (m) {
            return yi(m.time_line_wan);
          }),
        },
        {
          name: "年度计划",
          type: "line",
          symbol: "none",
          data: data.months.map(function () {
            return yi(data.planned_wan);
          }),
        },
      ];
      return option;
    },
    zones: function (data, t) {
      var zones = data.zones.slice().reverse();
      var option = base(t);
      option.yAxis = Object.assign(
        {
          type: "category",
          data: zones.map(function (z) {
            return z.name;
          }),
        },
        axisStyle(t)
      );
      option.xAxis = Object.assign({ type: "value", name: "亿元" }, axisStyle(t));
      option.series = [
        {
          name: "完成投资",
          type: "bar",
          data: zones.map(function (z) {
            return yi(z.completed_wan);
          }),
        },
        {
          name: "年度计划",
          type: "bar",
          data: zones.map(function (z) {
            return yi(z.planned_wan);
          }),
        },
      ];
      return option;
    },
  };

  // {"type": "ranks", "of", "months": [1..], "units": [{"name", "ranks": [..]}]}: places
  // month by month, first place on top.
  BUILDERS.ranks = function (data, t) {
    var option = base(t);
    option.xAxis = Object.assign(
      {
        type: "category",
        data: data.months.map(function (m) {
          return m + "月";
        }),
      },
      axisStyle(t)
    );
    option.yAxis = Object.assign(
      { type: "value", name: "名次", inverse: true, min: 1, minInterval: 1 },
      axisStyle(t)
    );
    option.legend.type = "scroll";
    option.series = data.units.map(function (u) {
      return { name: u.name, type: "line", connectNulls: false, data: u.ranks };
    });
    return option;
  };

  // {"type": "groups", "groups": [{"label", "completed_wan"}]}: completed investment by
  // industry group (六新, 战略性新兴产业, 传统产业).
  BUILDERS.groups = function (data, t) {
    var option = base(t);
    option.legend.show = false;
    option.grid.top = 8;
    option.yAxis = Object.assign(
      {
        type: "category",
        data: data.groups.map(function (g) {
          return g.label;
        }),
      },
      axisStyle(t)
    );
    option.xAxis = Object.assign({ type: "value", name: "亿元" }, axisStyle(t));
    option.series = [
      {
        name: "完成投资",
        type: "bar",
        label: { show: true, position: "right", color: t.text },
        data: data.groups.map(function (g) {
          return yi(g.completed_wan);
        }),
      },
    ];
    return option;
  };

  var charts = [];

  function draw(el) {
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-chart"));
    } catch (e) {
      el.setAttribute("data-state", "error");
      return;
    }
    var build = BUILDERS[data.type];
    if (!build || typeof echarts === "undefined") {
      el.setAttribute("data-state", "error");
      return;
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(build(data, theme()));
    charts.push(chart);
    el.setAttribute("data-state", "drawn");
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".sanpi-chart[data-chart]"), draw);
    window.addEventListener("resize", function () {
      charts.forEach(function (c) {
        c.resize();
      });
    });
    // Printing: the charts take the print layout's size first, and back after.
    function resizeAll() {
      charts.forEach(function (c) {
        c.resize();
      });
    }
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
    if (window.matchMedia) window.matchMedia("print").addEventListener("change", resizeAll);
    if (typeof ResizeObserver !== "undefined") {
      Array.prototype.forEach.call(document.querySelectorAll(".sanpi-chart"), function (el) {
        new ResizeObserver(resizeAll).observe(el);
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
