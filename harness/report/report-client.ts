// The browser side of report.html, kept as a plain ES5 string so it runs as an inline script without a bundler.
// It reads the inlined JSON (#report-data) and draws five uPlot charts sharing one cursor (the fifth: private memory
// per worker). A uPlot plugin shades
// fault and recycle windows the way Jepsen shades nemesis intervals (a translucent band over the plot plus a solid
// lane per kind at the top) and draws event lines with labels; hovering a line or band shows what it was.
// When done it sets body[data-charts-drawn] (the headless-browser test reads it); errors set data-report-error.
export const REPORT_CLIENT_JS = String.raw`
(function () {
  'use strict';
  window.addEventListener('error', function (e) { document.body.dataset.reportError = String(e.message); });
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var OUTCOME = { ok: '#3b9ae1', fail: '#ff1e90', info: '#ffa400' };
  var BAND = { fault: 'rgba(233,164,160,0.35)', recycle: 'rgba(140,180,235,0.28)' };
  var LANE = { fault: '#d9706a', recycle: '#5b8fd6' };
  var LINE = { crash: '#c0392b', detect: '#e67e22', pool: '#8e44ad', fault: '#7b241c', admin: '#7f8c8d' };
  var PALETTE = ['#e6194b', '#f58231', '#911eb4', '#4363d8', '#9a6324',
    '#800000', '#469990', '#000075', '#f032e6', '#808000'];
  var drawn = 0;
  var charts = [];
  var lines = data.lines.slice();
  data.windows.forEach(function (w) {
    if (w.instant) lines.push({ t: w.from, kind: 'fault', label: w.label, detail: 'fault (instant)' });
  });
  lines.sort(function (a, b) { return a.t - b.t; });
  var bands = data.windows.filter(function (w) { return !w.instant; });

  function overlay(showLabels) {
    function xpos(u, v) { return u.valToPos(v, 'x', true); }
    return {
      hooks: {
        drawClear: function (u) {
          var ctx = u.ctx, b = u.bbox, lane = Math.round(5 * devicePixelRatio);
          ctx.save();
          ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
          bands.forEach(function (w) {
            var x0 = xpos(u, w.from), x1 = Math.max(xpos(u, w.to), x0 + 2);
            ctx.fillStyle = BAND[w.kind];
            ctx.fillRect(x0, b.top, x1 - x0, b.height);
            ctx.fillStyle = LANE[w.kind];
            ctx.fillRect(x0, b.top + (w.kind === 'fault' ? 0 : lane + 1), x1 - x0, lane);
          });
          ctx.restore();
        },
        draw: function (u) {
          var ctx = u.ctx, b = u.bbox, px = devicePixelRatio, rowEnds = [-1e9, -1e9, -1e9];
          ctx.save();
          ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
          ctx.font = Math.round(10 * px) + 'px sans-serif';
          ctx.textBaseline = 'top';
          ctx.textAlign = 'left'; // uPlot leaves its axis alignment on the context
          lines.forEach(function (l) {
            var x = Math.round(xpos(u, l.t)) + 0.5;
            ctx.strokeStyle = LINE[l.kind] || '#555';
            ctx.lineWidth = px;
            ctx.setLineDash([4 * px, 3 * px]);
            ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
            // Labels go in up to three rows below the lanes; one that fits in none is left to the tooltip.
            var row = rowEnds.findIndex(function (end) { return x > end; });
            if (showLabels && row >= 0) {
              var w = ctx.measureText(l.label).width;
              var tx = x + 3 * px + w > b.left + b.width ? x - 3 * px - w : x + 3 * px; // flip left at the right edge
              ctx.fillStyle = LINE[l.kind] || '#555';
              ctx.fillText(l.label, tx, b.top + (14 + 12 * row) * px);
              rowEnds[row] = Math.max(x, tx + w) + 5 * px;
            }
          });
          ctx.restore();
        },
      },
    };
  }

  function tooltip(u) {
    var tip = document.createElement('div');
    tip.className = 'tip';
    u.over.appendChild(tip);
    u.hooks.setCursor = [function () {
      var left = u.cursor.left;
      if (left == null || left < 0) { tip.style.display = 'none'; return; }
      var near = lines.filter(function (l) { return Math.abs(u.valToPos(l.t, 'x') - left) <= 5; });
      var t = u.posToVal(left, 'x');
      var inside = bands.filter(function (w) { return t >= w.from && t <= w.to; });
      var text = near.map(function (l) { return l.t.toFixed(2) + ' s  ' + l.label + '\n' + l.detail; })
        .concat(inside.map(function (w) {
          var span = w.from.toFixed(2) + '–' + w.to.toFixed(2) + ' s' + (w.open ? ', not closed' : '');
          return w.kind + ': ' + w.label + ' (' + span + ')';
        }));
      if (!text.length) { tip.style.display = 'none'; return; }
      tip.textContent = text.join('\n');
      tip.style.display = 'block';
      tip.style.left = Math.min(left + 12, u.over.clientWidth - 260) + 'px';
      tip.style.top = '24px';
    }];
  }

  function chart(id, title, yLabel, x, series, opts) {
    var el = document.getElementById(id);
    var hasData = series.some(function (s) { return s.values.some(function (v) { return v != null; }); });
    var linear = { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } };
    var yScale = opts && opts.log && hasData ? { distr: 3, log: 10 } : linear;
    var COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
    var yAxis = opts && opts.counts ? { label: yLabel, size: 60, incrs: COUNT_STEPS } : { label: yLabel, size: 60 };
    var o = {
      title: title,
      width: Math.max(600, el.clientWidth),
      height: 210,
      cursor: { sync: { key: 'w3lab' }, drag: { x: true, y: false } },
      scales: { x: { time: false, range: [0, Math.max(data.durationS, 0.001)] }, y: yScale },
      axes: [{ label: 'seconds since workload start' }, yAxis],
      series: [{ label: 's' }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 1.5, fill: s.fill, spanGaps: false,
          paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined, points: { show: false },
          value: function (u, v) { return v == null ? '–' : (Math.round(v * 100) / 100) + ''; } };
      })),
      plugins: [overlay(id === 'chart-throughput')],
      hooks: { ready: [function () { drawn++; document.body.dataset.chartsDrawn = String(drawn); }] },
    };
    var u = new uPlot(o, [x].concat(series.map(function (s) { return s.values; })), el);
    tooltip(u);
    charts.push({ u: u, el: el });
  }

  var tl = data.timeline;
  chart('chart-throughput', 'Throughput (requests/s, by end time; ' + tl.bucketMs + ' ms buckets)', 'req/s', tl.x, [
    { label: 'ok', color: OUTCOME.ok, values: tl.ok },
    { label: 'fail', color: OUTCOME.fail, values: tl.fail },
    { label: 'info (unknown)', color: OUTCOME.info, values: tl.info },
  ]);
  function positive(a) { return a.map(function (v) { return v == null ? null : Math.max(v, 0.1); }); }
  chart('chart-latency', 'Latency of ok requests (ms, log scale, by start time)', 'ms', tl.x, [
    { label: 'p50', color: '#2a9d8f', values: positive(tl.p50) },
    { label: 'p99', color: '#e9a03b', values: positive(tl.p99) },
    { label: 'max', color: '#c0392b', values: positive(tl.max) },
  ], { log: true });
  var failures = tl.failures.length ? tl.failures : [{ kind: 'none', counts: tl.x.map(function () { return 0; }) }];
  var failuresTitle = 'Failed and unknown requests by kind (count per bucket, by end time)';
  chart('chart-failures', failuresTitle, 'requests', tl.x, failures.map(function (f, i) {
    var c = PALETTE[i % PALETTE.length];
    return { label: f.kind, color: c, fill: c + '33', values: f.counts, stepped: true };
  }), { counts: true });
  var wk = data.workers;
  var pools = wk.pools.length ? wk.pools : [{ pool: 'no worker events', alive: wk.x.map(function () { return 0; }) }];
  chart('chart-workers', 'Workers alive per pool (ready → exit)', 'workers', wk.x, pools.map(function (p, i) {
    var c = PALETTE[(i + 3) % PALETTE.length];
    return { label: p.pool, color: c, fill: pools.length === 1 ? c + '22' : undefined, values: p.alive, stepped: true };
  }), { counts: true });

  var mem = data.memory;
  var memWorkers = mem.workers.length
    ? mem.workers
    : [{ label: 'no memory samples', mb: mem.x.map(function () { return null; }) }];
  var memX = mem.x.length ? mem.x : [0];
  var memSeries = memWorkers.map(function (w, i) {
    return { label: w.label, color: PALETTE[(i + 5) % PALETTE.length], values: w.mb.length ? w.mb : [null] };
  });
  chart('chart-memory', 'Private memory per worker (MB, sampled by the lab)', 'MB', memX, memSeries);

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) { c.u.setSize({ width: Math.max(600, c.el.clientWidth), height: 210 }); });
    }, 100);
  });
})();
`;
