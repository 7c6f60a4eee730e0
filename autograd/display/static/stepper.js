// chainrule's backprop stepper. Every number was computed in Python and embedded as JSON
// (#chainrule-data); this script only replays it. Plain ES2017, no libraries.
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('chainrule-data').textContent);
  const N = D.nodes.length;
  const ROOT = N - 1;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  // Numbers as the page shows them: 4 significant digits, exponent form when tiny or huge.
  function fmt(value) {
    const x = Number(value);
    if (x === 0) return '0';
    if (!isFinite(x)) return String(x);
    const a = Math.abs(x);
    return (a < 1e-4 || a >= 1e5) ? x.toExponential(3) : x.toPrecision(4);
  }

  // --- hooks into dot's SVG: value node i is <g id="v{i}">, its op node o{i},
  //     the edge from its k-th input e{i}_{k} and from the op to the value r{i}.
  const valueEl = [];
  const dataEl = [];
  const gradEl = [];
  function field(text, key) {  // "data -0.0000000" -> caption + <tspan data-field="data">
    const caption = document.createElementNS(SVG_NS, 'tspan');
    caption.textContent = key + ' ';
    const value = document.createElementNS(SVG_NS, 'tspan');
    value.setAttribute('data-field', key);
    text.textContent = '';
    text.appendChild(caption);
    text.appendChild(value);
    return value;
  }
  for (let i = 0; i < N; i++) {
    const g = $('v' + i);
    const texts = g.getElementsByTagName('text');
    g.setAttribute('data-node', D.nodes[i].name);
    g.setAttribute('data-index', String(i));
    const title = g.getElementsByTagName('title')[0];
    if (title) title.textContent = D.nodes[i].name;
    valueEl.push(g);
    dataEl.push(field(texts[texts.length - 2], 'data'));
    gradEl.push(field(texts[texts.length - 1], 'grad'));
  }
  const layer = document.createElementNS(SVG_NS, 'g');  // edge and "+=" labels go here
  document.querySelector('#graph svg g.graph').appendChild(layer);

  // --- state: how far each pass has gone, and what every node displays
  let fwd = 0;  // forward steps done (D.forward lists the op nodes in topological order)
  let bwd = 0;  // backward steps done (D.backward[0] is the seed, then reverse topological order)
  let known = [];  // known[i]: node i's data is shown
  let grad = [];  // the gradient node i displays
  let lit = [];  // elements highlighted by the current step
  let training = -1;  // the history step shown by the slider, or -1
  let timer = null;

  function show(i) {
    dataEl[i].textContent = known[i] ? fmt(D.nodes[i].data) : '?';
    gradEl[i].textContent = fmt(grad[i]);
    valueEl[i].classList.toggle('pending', !known[i]);
  }
  function light(el, cls) {
    if (el) { el.classList.add(cls); lit.push([el, cls]); }
  }
  function unlight() {
    for (const [el, cls] of lit) el.classList.remove(cls);
    lit = [];
    while (layer.firstChild) layer.removeChild(layer.firstChild);
  }
  function label(x, y, text, cls) {
    const t = document.createElementNS(SVG_NS, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    t.setAttribute('text-anchor', 'middle');
    t.setAttribute('class', cls);
    t.textContent = text;
    layer.appendChild(t);
  }
  // Positions never change (dot laid them out), so they are all measured at once, the
  // first time they are needed: reading one after each change to the page would make the
  // browser lay out the whole graph again.
  let places = null;
  function measure() {
    places = { top: [], middle: {} };
    for (let i = 0; i < N; i++) {
      const box = valueEl[i].getBBox();
      places.top.push([box.x + box.width / 2, box.y - 3]);
      D.nodes[i].inputs.forEach((j, k) => {
        const path = $('e' + i + '_' + k).getElementsByTagName('path')[0];
        const p = path.getPointAtLength(path.getTotalLength() / 2);
        places.middle[i + '_' + k] = [p.x, p.y - 3];
      });
    }
  }
  let shown = -1;  // the node to scroll into view at the next frame
  function reveal(i) {
    if (shown < 0) {
      requestAnimationFrame(() => {  // once a frame, when the browser lays out anyway
        const box = valueEl[shown].getBoundingClientRect();
        const pane = $('graph');
        const view = pane.getBoundingClientRect();
        if (box.left < view.left || box.right > view.right) {  // centre it
          pane.scrollLeft += box.left - view.left - (view.width - box.width) / 2;
        }
        if (box.top < view.top || box.bottom > view.bottom) {
          pane.scrollTop += box.top - view.top - (view.height - box.height) / 2;
        }
        shown = -1;
      });
    }
    shown = i;
  }
  function name(i) { return D.nodes[i].name; }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  }

  function reset() {
    stop();
    unlight();
    leaveTraining();
    fwd = 0;
    bwd = 0;
    known = D.nodes.map((n) => n.inputs.length === 0);  // inputs and weights are given
    grad = D.nodes.map(() => 0);
    for (let i = 0; i < N; i++) { show(i); valueEl[i].classList.remove('done'); }
    $('step-text').innerHTML = 'Inputs and weights are given. <b>Forward step</b> computes ' +
      'the other values, one op at a time; <b>Backward step</b> then sends the gradient back.';
    status();
  }

  function stepForward() {
    if (fwd >= D.forward.length) return false;
    unlight();
    const i = D.forward[fwd++];
    const node = D.nodes[i];
    known[i] = true;
    show(i);
    light(valueEl[i], 'current');
    reveal(i);
    light($('o' + i), 'current');
    light($('r' + i), 'active');
    node.inputs.forEach((j, k) => light($('e' + i + '_' + k), 'active'));
    const args = node.inputs.map((j) => esc(name(j)) + ' = ' + fmt(D.nodes[j].data));
    $('step-text').innerHTML = '<p><b>Forward ' + fwd + '/' + D.forward.length + '.</b> ' +
      esc(name(i)) + ' = <b>' + esc(node.op) + '</b>(' + args.join(', ') + ') = <span class="num">' +
      fmt(node.data) + '</span></p>';
    return true;
  }

  function finishForward() {  // every remaining value at once (no step-by-step display)
    unlight();
    for (; fwd < D.forward.length; fwd++) {
      known[D.forward[fwd]] = true;
      show(D.forward[fwd]);
    }
  }

  function stepBackward() {
    if (bwd >= D.backward.length) return false;
    if (fwd < D.forward.length) finishForward();  // the backward pass needs every value
    unlight();
    const s = D.backward[bwd++];
    const i = s.node;
    grad[i] = s.grad;
    show(i);
    light(valueEl[i], 'current');
    valueEl[i].classList.add('done');
    reveal(i);
    if (s.terms.length === 0) {
      $('step-text').innerHTML = '<p><b>Backward 1/' + D.backward.length + ': the seed.</b> ∂' +
        esc(name(i)) + '/∂' + esc(name(i)) + ' = 1</p>';
    } else {
      light($('o' + i), 'current');
      light($('r' + i), 'active');
      if (places === null) measure();
      const stacked = {};  // an input used twice by this op gets its labels one above the other
      const rows = s.terms.map((t) => {
        grad[t.input] = t.after;
        show(t.input);
        light(valueEl[t.input], 'receiving');
        light(gradEl[t.input], 'changed');
        light($('e' + i + '_' + t.k), 'active');
        const middle = places.middle[i + '_' + t.k];
        const top = places.top[t.input];
        label(middle[0], middle[1], t.formula + ' = ' + fmt(t.partial), 'edge-label');
        stacked[t.input] = (stacked[t.input] || 0) + 1;
        label(top[0], top[1] - 13 * (stacked[t.input] - 1), '+= ' + fmt(t.add), 'add-label');
        return '<li>∂' + esc(name(i)) + '/∂' + esc(name(t.input)) + ' = ' + esc(t.formula) +
          ' = <span class="num">' + fmt(t.partial) + '</span><br>grad(' + esc(name(t.input)) +
          ') = <span class="num">' + fmt(t.before) + ' + ' + fmt(t.partial) + ' × ' + fmt(s.grad) +
          ' = <b>' + fmt(t.after) + '</b></span></li>';
      });
      $('step-text').innerHTML = '<p><b>Backward ' + bwd + '/' + D.backward.length + '.</b> ' +
        esc(name(i)) + ' = ' + esc(D.nodes[i].op) + '(…) has its gradient, ' + fmt(s.grad) +
        '. Each input gets it times the local derivative, added to what it had:</p><ul class="terms">' +
        rows.join('') + '</ul>';
    }
    if (bwd === D.backward.length) {
      for (let j = 0; j < N; j++) valueEl[j].classList.add('done');
    }
    return true;
  }

  function status() {
    let text;
    if (fwd < D.forward.length) text = 'Forward pass: ' + fwd + ' of ' + D.forward.length + ' ops computed.';
    else if (bwd === 0) text = 'Forward pass done: ' + name(ROOT) + ' = ' + fmt(D.nodes[ROOT].data) + '. Every gradient is still 0.';
    else if (bwd < D.backward.length) text = 'Backward pass: step ' + bwd + ' of ' + D.backward.length + '.';
    else text = 'Backward pass done: every gradient is ∂' + name(ROOT) + '/∂node.';
    if (D.warning) text += ' ' + D.warning;
    $('status').textContent = text;
  }

  // --- play / pause
  const playButton = document.querySelector('[data-action="play"]');
  function stop() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    playButton.textContent = 'Play';
  }
  function tick() {
    const moved = stepForward() || stepBackward();
    status();
    if (moved) timer = setTimeout(tick, Number($('speed').value));
    else stop();
  }
  function play() {
    if (timer !== null) { stop(); return; }
    leaveTraining();
    if (bwd >= D.backward.length) reset();
    playButton.textContent = 'Pause';
    tick();
  }

  // --- clicking a value: its chain rule
  let consumers = null;  // node -> [[backward step, term]], built on the first click
  function chainRule(i) {
    document.querySelectorAll('g.node.selected').forEach((el) => el.classList.remove('selected'));
    valueEl[i].classList.add('selected');
    const text = D.explain[String(i)];
    if (text !== undefined) {
      $('chain-text').innerHTML = '<pre>' + esc(text) + '</pre>';
      return;
    }
    if (consumers === null) {
      consumers = D.nodes.map(() => []);
      for (const s of D.backward) for (const t of s.terms) consumers[t.input].push([s, t]);
    }
    const rows = consumers[i].map(([s, t]) => '<li>grad(' + esc(name(s.node)) + ') × ∂' +
      esc(name(s.node)) + '/∂' + esc(name(i)) + ' = <span class="num">' + fmt(s.grad) + ' × ' +
      fmt(t.partial) + ' = ' + fmt(t.add) + '</span></li>');
    $('chain-text').innerHTML = '<p>grad(' + esc(name(i)) + ') is the sum, over the nodes made ' +
      'from it, of grad(node) × ∂node/∂' + esc(name(i)) + ':</p><ul class="terms">' + rows.join('') +
      '</ul><p>grad(' + esc(name(i)) + ') = <span class="num">' + fmt(D.grads[i]) + '</span></p>';
  }
  $('graph').addEventListener('click', (event) => {
    const g = event.target.closest('[data-node]');
    if (g) chainRule(Number(g.getAttribute('data-index')));
  });

  // --- training history: a slider over the recorded steps
  const H = D.history;
  function enterTraining(s) {
    stop();
    unlight();
    training = s;
    const params = new Set(H.nodes);
    for (let i = 0; i < N; i++) valueEl[i].classList.toggle('dim', !params.has(i));
    H.nodes.forEach((i, k) => {
      dataEl[i].textContent = fmt(H.weights[s][k]);
      gradEl[i].textContent = fmt(H.grads[s][k]);
      valueEl[i].classList.add('trained');
    });
    $('training-text').textContent = 'Training step ' + (H.step[s] + 1) + ': batch loss ' +
      fmt(H.loss[s]) + '. The parameters show their weights and gradients at that step.';
    drawCurve(s);
  }
  function leaveTraining() {
    if (training < 0) return;
    training = -1;
    for (let i = 0; i < N; i++) valueEl[i].classList.remove('dim', 'trained');
    for (let i = 0; i < N; i++) show(i);
  }
  function drawCurve(s) {
    const losses = H.loss.map(Number).filter(isFinite);
    const lo = Math.min.apply(null, losses);
    const hi = Math.max.apply(null, losses);
    const x = (k) => 30 + 225 * (H.loss.length > 1 ? k / (H.loss.length - 1) : 0.5);
    const y = (v) => 8 + 66 * (hi > lo ? (hi - Number(v)) / (hi - lo) : 0.5);
    const points = H.loss.map((v, k) => x(k).toFixed(1) + ',' + y(v).toFixed(1)).join(' ');
    $('curve').innerHTML = '<text x="0" y="12">' + fmt(hi) + '</text><text x="0" y="76">' + fmt(lo) +
      '</text><polyline points="' + points + '"></polyline><circle r="3.5" cx="' + x(s).toFixed(1) +
      '" cy="' + y(H.loss[s]).toFixed(1) + '"></circle><text x="30" y="88">step ' + (H.step[s] + 1) +
      ' of ' + (H.step[H.step.length - 1] + 1) + '</text>';
  }
  if (H) {
    $('training').hidden = false;
    const slider = $('slider');
    slider.max = String(H.step.length - 1);
    slider.value = slider.max;
    slider.addEventListener('input', () => enterTraining(Number(slider.value)));
    drawCurve(H.step.length - 1);
    $('training-text').textContent = 'Move the slider to see the parameters during training.';
  }

  // --- zoom
  const svg = document.querySelector('#graph svg');
  const natural = [parseFloat(svg.getAttribute('width')), parseFloat(svg.getAttribute('height'))];
  function zoom() {
    const z = $('zoom').value;
    svg.style.width = z === 'fit' ? '100%' : (natural[0] * Number(z)) + 'pt';
    svg.style.height = z === 'fit' ? 'auto' : (natural[1] * Number(z)) + 'pt';
  }
  $('zoom').addEventListener('change', zoom);

  // --- controls
  const actions = {
    'step-forward': () => { stop(); leaveTraining(); stepForward(); },
    'step-backward': () => { stop(); leaveTraining(); stepBackward(); },
    'play': play,
    'reset': reset,
  };
  document.querySelectorAll('[data-action]').forEach((button) => {
    button.addEventListener('click', () => { actions[button.getAttribute('data-action')](); status(); });
  });
  document.addEventListener('keydown', (event) => {
    if (event.target.closest('input, select, textarea')) return;
    const action = { f: 'step-forward', b: 'step-backward', ' ': 'play', r: 'reset' }[event.key];
    if (action) { event.preventDefault(); actions[action](); status(); }
  });
  reset();
}());
