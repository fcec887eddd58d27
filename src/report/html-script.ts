/**
 * The browser side of the HTML reports: draws every chart described in the page's JSON block with
 * uPlot, the circuit-state bands behind the series and the markers as dashed lines. Plain ES2017 so
 * it runs in any current browser without a build step; kept generic so all chart logic stays in Node.
 * When done it sets `data-charts-rendered` on <body> (the Chromium test waits for it).
 */
export const CHART_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('shield-charts').textContent);
  var figures = document.querySelectorAll('figure.chart');

  function fmtMs(v) {
    if (v == null) return '-';
    if (v < 1) return +(v * 1000).toPrecision(2) + 'µs';
    if (v < 1000) return +v.toPrecision(3) + 'ms';
    return +(v / 1000).toPrecision(3) + 's';
  }
  function fmtS(v) {
    if (v == null) return '-';
    return +v.toPrecision(3) + 's';
  }

  function overlay(chart) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, box = u.bbox;
          ctx.save();
          chart.bands.forEach(function (band) {
            var left = Math.max(box.left, u.valToPos(band.start_s, 'x', true));
            var right = Math.min(box.left + box.width, u.valToPos(band.end_s, 'x', true));
            if (right <= left) return;
            ctx.fillStyle = data.state_colors[band.state];
            ctx.fillRect(left, box.top, right - left, box.height);
          });
          ctx.restore();
        }],
        draw: [function (u) {
          var ctx = u.ctx, box = u.bbox, ratio = window.devicePixelRatio || 1;
          chart.markers.forEach(function (marker) {
            var y = u.valToPos(marker.value, 'y', true);
            if (!(y >= box.top && y <= box.top + box.height)) return;
            ctx.save();
            ctx.strokeStyle = '#59636e';
            ctx.setLineDash([6 * ratio, 4 * ratio]);
            ctx.lineWidth = ratio;
            ctx.beginPath();
            ctx.moveTo(box.left, y);
            ctx.lineTo(box.left + box.width, y);
            ctx.stroke();
            ctx.fillStyle = '#59636e';
            ctx.font = (11 * ratio) + 'px system-ui, sans-serif';
            ctx.textAlign = 'right';
            ctx.fillText(marker.label, box.left + box.width - 4 * ratio, y - 4 * ratio);
            ctx.restore();
          });
        }],
      },
    };
  }

  function seriesOptions(s, chart) {
    var format = chart.y.unit === 'ms' ? function (u, v) { return fmtMs(v); } : function (u, v) { return v == null ? '-' : String(v); };
    var options = { label: s.label, stroke: s.color, width: 1.5, value: format, spanGaps: false };
    if (s.style === 'points') {
      options.paths = function () { return null; };
      options.points = { show: true, size: 6, width: 1, stroke: s.color, fill: s.color };
    } else {
      options.points = { show: false };
      if (s.style === 'step') options.paths = uPlot.paths.stepped({ align: 1 });
    }
    return options;
  }

  function yScale(chart) {
    var markerValues = chart.markers.map(function (m) { return m.value; });
    if (chart.y.log) {
      return {
        distr: 3,
        log: 10,
        range: function (u, min, max) {
          var lo = Math.min.apply(null, [min].concat(markerValues));
          var hi = Math.max.apply(null, [max].concat(markerValues));
          return uPlot.rangeLog(lo, hi, 10, true);
        },
      };
    }
    return { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } };
  }

  // One grid line per power of ten: the log axis's default 1..9 per decade is unreadable.
  function decades(u, axisIdx, min, max) {
    var splits = [];
    for (var e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      var v = Math.pow(10, e);
      if (v >= min * 0.999 && v <= max * 1.001) splits.push(v);
    }
    return splits;
  }

  function draw(figure, chart) {
    if (chart.x.length === 0) {
      var empty = document.createElement('p');
      empty.textContent = 'No calls in this run.';
      figure.appendChild(empty);
      return null;
    }
    var options = {
      width: Math.max(320, figure.clientWidth),
      height: 260,
      legend: { live: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false, range: [0, Math.max(chart.span_s, 0.001)] }, y: yScale(chart) },
      axes: [
        { label: chart.x_label, values: function (u, splits) { return splits.map(fmtS); } },
        {
          label: chart.y.label,
          size: 64,
          splits: chart.y.log ? decades : undefined,
          values: function (u, splits) { return splits.map(chart.y.unit === 'ms' ? fmtMs : String); },
        },
      ],
      series: [{ label: 't', value: function (u, v) { return fmtS(v); } }].concat(
        chart.series.map(function (s) { return seriesOptions(s, chart); })
      ),
      plugins: [overlay(chart)],
    };
    var aligned = [chart.x].concat(chart.series.map(function (s) { return s.values; }));
    return new uPlot(options, aligned, figure);
  }

  var plots = [];
  data.charts.forEach(function (chart, i) {
    var figure = figures[i];
    try {
      var plot = draw(figure, chart);
      if (plot) plots.push({ plot: plot, figure: figure });
    } catch (error) {
      console.error('chart ' + i + ' (' + chart.title + ') failed: ' + error);
    }
  });
  window.addEventListener('resize', function () {
    plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.figure.clientWidth), height: 260 }); });
  });
  document.body.setAttribute('data-charts-rendered', String(plots.length));
})();
`;
