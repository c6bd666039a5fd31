// The county map of 吕梁: a choropleth drawn with ECharts (vendor/echarts/echarts.min.js,
// loaded before this file). Every element
//
//   <div class="sanpi-map" data-geo="{static url of the GeoJSON}" data-src="{JSON url}"
//        data-click="?county={code}" data-measure-label="总投资" aria-label="…" role="img">
//
// is drawn on DOMContentLoaded:
// - data-geo: the county shapes (vendor/geo/lvliang.json: features with id = GB/T 2260
//   code and properties.name, properties.cp = the label's point), registered once as
//   echarts.registerMap("lvliang", geojson);
// - data-src answers {"measure": {"key", "label", "unit"},
//                     "counties": [{"code", "name", "value", "text"}, ...],
//                     "selected": "141102" or null}
//   value is an exact decimal as a string (Number() here only for the colour), null for a
//   county outside the user's scope (grey, not clickable); text is what people read;
// - data-click (optional): where a click on a county goes, "{code}" replaced by its code;
// - data-measure-label (optional): the legend's title, else the measure's label.
// After drawing, the element gets data-drawn="<regions drawn>" (13 for 吕梁) and
// window.sanpiMap = {count, points: {code: [x, y]}} (each county's label point in CSS
// pixels from the element's top left, for tests and keyboardless checks).
// A dark variant when the element or <body> has the class sanpi-dark (large-screen mode).
//
// The site's Content-Security-Policy has no 'unsafe-inline': the canvas renderer and a
// tooltip drawn on the canvas (renderMode "richText", plain-text formatter) put no style
// attribute in the page.
(function () {
  "use strict";
  var MAP = "lvliang";
  var DEFAULT_HEIGHT = "560px";
  var geoCache = {};

  var THEMES = {
    light: {
      background: "transparent",
      text: "#212529",
      textBorder: "#ffffff",
      border: "#ffffff",
      muted: "#6c757d",
      outside: "#c9cdd2",
      colors: ["#e3eefa", "#9ecae1", "#4292c6", "#08519c", "#08306b"],
      hover: "#ffd666",
      selected: "#d63384",
      tooltip: "#ffffff",
    },
    dark: {
      background: "#0b1726",
      text: "#f8f9fa",
      textBorder: "#0b1726",
      border: "#5b7896",
      muted: "#8a96a3",
      outside: "#2b3440",
      colors: ["#17324d", "#1d5a86", "#2a86bf", "#4fb0e6", "#8fd6ff"],
      hover: "#ffd666",
      selected: "#ffc107",
      tooltip: "#16202c",
    },
  };

  function isDark(el) {
    return el.classList.contains("sanpi-dark") || document.body.classList.contains("sanpi-dark");
  }

  function getJSON(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(
        function (body) {
          if (!response.ok) {
            var message = body && body.error && body.error.message;
            throw new Error(message || "HTTP " + response.status);
          }
          return body;
        },
        function () {
          throw new Error("HTTP " + response.status);
        }
      );
    });
  }

  function loadGeo(url) {
    if (!geoCache[url]) {
      geoCache[url] = getJSON(url).then(function (geojson) {
        if (!echarts.getMap(MAP)) echarts.registerMap(MAP, geojson);
        return geojson;
      });
    }
    return geoCache[url];
  }

  function fail(el, message) {
    el.setAttribute("data-state", "error");
    el.textContent = "地图加载失败：" + message;
  }

  function buildOption(el, geojson, body) {
    var theme = THEMES[isDark(el) ? "dark" : "light"];
    var measure = body.measure || {};
    var unit = measure.unit || "";
    var nameByCode = {};
    geojson.features.forEach(function (f) {
      nameByCode[String(f.id)] = f.properties.name;
    });
    var max = 0;
    var maxText = "";
    var data = (body.counties || []).map(function (c) {
      var value = c.value === null || c.value === undefined ? NaN : Number(c.value);
      if (isFinite(value) && value > max) {
        max = value;
        maxText = c.text;
      }
      var item = {
        name: nameByCode[c.code] || c.name, // the shape's name: matched by code
        value: value,
        code: c.code,
        text: c.text,
        countyName: c.name,
      };
      if (!isFinite(value)) {
        // Outside the user's scope: grey, a muted name, no hover, no click.
        item.label = { color: theme.muted };
        item.emphasis = { disabled: true };
      }
      if (c.code === body.selected) {
        item.itemStyle = { borderColor: theme.selected, borderWidth: 3 };
        item.label = { fontWeight: "bold" };
      }
      return item;
    });
    return {
      backgroundColor: theme.background,
      animation: false,
      title: {
        text: el.getAttribute("data-measure-label") || measure.label || "",
        left: 8,
        top: 8,
        textStyle: { color: theme.text, fontSize: 15 },
      },
      textStyle: { fontFamily: "system-ui, -apple-system, 'Microsoft YaHei', sans-serif" },
      tooltip: {
        trigger: "item",
        renderMode: "richText", // drawn on the canvas: no HTML, no style attribute
        backgroundColor: theme.tooltip,
        borderColor: theme.outside,
        textStyle: { color: theme.text },
        formatter: function (p) {
          var d = p.data || {};
          return (d.countyName || p.name) + "\n" + (measure.label || "") + "：" + (d.text || "—");
        },
      },
      visualMap: {
        type: "continuous",
        min: 0,
        max: max > 0 ? max : 1,
        left: 8,
        bottom: 8,
        calculable: false,
        text: [maxText || "0" + unit, "0" + unit], // the exact figures, as the server wrote them
        textStyle: { color: theme.text },
        inRange: { color: theme.colors },
        seriesIndex: 0,
      },
      series: [
        {
          type: "map",
          map: MAP,
          roam: false,
          selectedMode: false,
          layoutCenter: ["50%", "50%"],
          layoutSize: "96%",
          nameProperty: "name",
          data: data,
          itemStyle: { areaColor: theme.outside, borderColor: theme.border, borderWidth: 1 },
          label: {
            show: true,
            color: theme.text,
            fontSize: 13,
            textBorderColor: theme.textBorder,
            textBorderWidth: 3,
          },
          emphasis: {
            label: { show: true, color: theme.text },
            itemStyle: { areaColor: theme.hover, borderColor: theme.selected, borderWidth: 2 },
          },
        },
      ],
    };
  }

  // What was drawn: the regions that have a graphic element, and each county's label
  // point in pixels (for tests: click there, it is that county).
  function drawnState(chart, geojson) {
    var series = chart.getModel().getSeriesByIndex(0);
    var data = series.getData();
    var count = 0;
    var points = {};
    for (var i = 0; i < data.count(); i++) {
      if (data.getItemGraphicEl(i)) count += 1;
    }
    geojson.features.forEach(function (f) {
      var point = chart.convertToPixel({ seriesIndex: 0 }, f.properties.cp);
      if (point && isFinite(point[0]) && isFinite(point[1])) {
        points[String(f.id)] = [Math.round(point[0]), Math.round(point[1])];
      }
    });
    return { count: count, points: points };
  }

  function draw(el) {
    var geoUrl = el.getAttribute("data-geo");
    var src = el.getAttribute("data-src");
    if (!geoUrl || !src || typeof echarts === "undefined") {
      fail(el, "缺少地图组件或数据地址");
      return;
    }
    if (!el.clientHeight) el.style.height = el.getAttribute("data-height") || DEFAULT_HEIGHT;
    el.setAttribute("data-state", "loading");
    Promise.all([loadGeo(geoUrl), getJSON(src)])
      .then(function (results) {
        var geojson = results[0];
        var body = results[1];
        var chart = echarts.init(el, null, { renderer: "canvas" });
        var valueByCode = {};
        (body.counties || []).forEach(function (c) {
          valueByCode[c.code] = c.value;
        });
        chart.on("finished", function () {
          var state = drawnState(chart, geojson);
          el.setAttribute("data-drawn", String(state.count));
          el.setAttribute("data-state", "drawn");
          window.sanpiMap = state;
        });
        chart.setOption(buildOption(el, geojson, body));
        var target = el.getAttribute("data-click");
        if (target) {
          chart.on("click", { seriesIndex: 0 }, function (p) {
            var code = p.data && p.data.code;
            if (!code || valueByCode[code] === null || valueByCode[code] === undefined) return;
            window.location.assign(target.split("{code}").join(encodeURIComponent(code)));
          });
        }
        var resize = function () {
          chart.resize();
        };
        if (typeof ResizeObserver !== "undefined") new ResizeObserver(resize).observe(el);
        window.addEventListener("resize", resize);
        // The print layout gives the map another size: redraw for it, and back.
        if (window.matchMedia) window.matchMedia("print").addEventListener("change", resize);
      })
      .catch(function (error) {
        fail(el, error.message || String(error));
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".sanpi-map"), draw);
  });
})();
