// digitnet's drawing page: capture strokes, ask /api/predict while drawing, show the answer;
// and read a number from an uploaded photo (/api/predict?number=true).
//
// The drawing is kept as a list of strokes (so Undo can drop the last one) and
// redrawn from them; the canvas is sent as a PNG (scaled down), the same image path as
// `digitnet predict`. The result panel's data-state attribute says where it is
// ("empty", "pending", "done", "error"), for people's styles and for the browser test.
(() => {
  'use strict';

  const pad = document.getElementById('pad');
  const ctx = pad.getContext('2d');
  const result = document.getElementById('result');
  const digitEl = document.getElementById('digit');
  const confidenceEl = document.getElementById('confidence');
  const unsureEl = document.getElementById('unsure');
  const errorEl = document.getElementById('error');
  const barsEl = document.getElementById('bars');
  const seen = document.getElementById('seen');
  const seenSize = document.getElementById('seen-size');
  const undoButton = document.getElementById('undo');
  const clearButton = document.getElementById('clear');

  // Pen width as a fraction of the pad's side, per model input side, so that a digit
  // drawn over most of the pad has the stroke weight of the training images: the 8x8
  // digits' strokes are about a quarter of the digit's height (two of eight blocks),
  // MNIST's about 3 of its 20 pixels.
  const PEN_FRACTION = { 8: 0.12, 28: 0.09 };
  const DEFAULT_PEN_FRACTION = 0.09;
  // While drawing, ask at most this often (ms); lifting the pen asks at once.
  const LIVE_INTERVAL_MS = 150;
  // The drawing is sent at this side (pixels), smoothed down from the pad: still
  // several times the 28x28 or 32x32 box the preparation makes, at a fifth of the
  // pixels to decode on the server.
  const SEND_SIDE = 224;
  const sendCanvas = document.createElement('canvas');
  sendCanvas.width = SEND_SIDE;
  sendCanvas.height = SEND_SIDE;
  const sendCtx = sendCanvas.getContext('2d');
  sendCtx.imageSmoothingEnabled = true;
  sendCtx.imageSmoothingQuality = 'high';

  const strokes = [];           // each: { width, points: [[x, y], ...] } in canvas pixels
  let current = null;           // the stroke being drawn
  let penWidth = pad.width * DEFAULT_PEN_FRACTION;
  let liveTimer = null;
  let inFlight = false;         // one request at a time...
  let dirty = false;            // ...and one more after it if the drawing changed meanwhile
  let generation = 0;           // bumped by Clear so late answers are dropped
  let minConfidence = 0.6;      // the server's "not sure" threshold (GET /api/model)

  // ---- drawing -------------------------------------------------------------

  function clearCanvas() {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, pad.width, pad.height);
  }

  // A smooth stroke: quadratic curves through the midpoints of successive points.
  function drawStroke(stroke) {
    const pts = stroke.points;
    ctx.strokeStyle = '#111111';
    ctx.fillStyle = '#111111';
    ctx.lineWidth = stroke.width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(pts[0][0], pts[0][1], stroke.width / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length - 1; i++) {
      const mx = (pts[i][0] + pts[i + 1][0]) / 2;
      const my = (pts[i][1] + pts[i + 1][1]) / 2;
      ctx.quadraticCurveTo(pts[i][0], pts[i][1], mx, my);
    }
    const last = pts[pts.length - 1];
    ctx.lineTo(last[0], last[1]);
    ctx.stroke();
  }

  let frameRequested = false;
  function redraw() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      redrawNow();
    });
  }

  function redrawNow() {
    clearCanvas();
    strokes.forEach(drawStroke);
    document.body.classList.toggle('has-ink', strokes.length > 0);
    undoButton.disabled = strokes.length === 0;
  }

  function canvasPoint(event) {
    const r = pad.getBoundingClientRect();
    return [
      (event.clientX - r.left) * (pad.width / r.width),
      (event.clientY - r.top) * (pad.height / r.height),
    ];
  }

  pad.addEventListener('pointerdown', (event) => {
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    current = { width: penWidth, points: [canvasPoint(event)] };
    strokes.push(current);
    redraw();
    askSoon();
  });

  pad.addEventListener('pointermove', (event) => {
    if (!current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    (events.length ? events : [event]).forEach((e) => current.points.push(canvasPoint(e)));
    redraw();
    askSoon();
  });

  function endStroke() {
    if (!current) return;
    current = null;
    redrawNow();
    askNow();
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);
  pad.addEventListener('lostpointercapture', endStroke);

  // ---- commands ------------------------------------------------------------

  function clearDrawing() {
    strokes.length = 0;
    current = null;
    generation++;
    dirty = false;
    clearTimeout(liveTimer);
    liveTimer = null;
    redrawNow();
    showEmpty();
  }

  function undo() {
    if (!strokes.length) return;
    strokes.pop();
    current = null;
    redrawNow();
    if (strokes.length) askNow(); else clearDrawing();
  }

  clearButton.addEventListener('click', clearDrawing);
  undoButton.addEventListener('click', undo);

  document.addEventListener('keydown', (event) => {
    const key = event.key;
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && (key === 'z' || key === 'Z')) {
      event.preventDefault();
      undo();
    } else if ((key === 'Escape' || key === 'Delete') && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      clearDrawing();
    }
  });

  // ---- asking the server ---------------------------------------------------

  // While drawing: at most one request per LIVE_INTERVAL_MS.
  function askSoon() {
    if (liveTimer !== null) return;
    liveTimer = setTimeout(() => {
      liveTimer = null;
      askNow();
    }, LIVE_INTERVAL_MS);
  }

  async function askNow() {
    clearTimeout(liveTimer);
    liveTimer = null;
    if (!strokes.length) return;
    if (inFlight) {
      dirty = true;
      return;
    }
    inFlight = true;
    dirty = false;
    const myGeneration = generation;
    result.dataset.state = 'pending';
    redrawNow(); // the PNG must hold every point drawn so far
    try {
      sendCtx.drawImage(pad, 0, 0, SEND_SIDE, SEND_SIDE);
      const png = await new Promise((resolve) => sendCanvas.toBlob(resolve, 'image/png'));
      const response = await fetch('/api/predict', {
        method: 'POST',
        headers: { 'Content-Type': 'image/png' },
        body: png,
      });
      const body = await response.json();
      if (myGeneration !== generation) return;
      if (!response.ok) throw new Error(body.error || response.statusText);
      showPrediction(body);
    } catch (err) {
      if (myGeneration === generation) showError(err.message || String(err));
    } finally {
      inFlight = false;
      if (dirty && strokes.length) askNow();
    }
  }

  // ---- showing the answer --------------------------------------------------

  // The served model's class names, in output order: the digits until GET /api/model
  // answers, and whenever it cannot be read.
  const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  let classes = DIGITS;
  let bars = [];

  function sameNames(a, b) {
    return a.length === b.length && a.every((name, i) => name === b[i]);
  }

  // The name of class `k`: its name in the model, or its index.
  function className(k) {
    return classes[k] ?? String(k);
  }

  // One bar per class, labelled with its name. Labels longer than a digit widen
  // their column (up to a limit; the full name is in the tooltip).
  function buildBars(names) {
    barsEl.textContent = '';
    bars = names.map((name) => {
      const li = document.createElement('li');
      li.innerHTML = '<span class="label"></span>'
        + '<span class="track"><span class="fill"></span></span><span class="pct">0%</span>';
      const label = li.querySelector('.label');
      label.textContent = name;
      label.title = name;
      barsEl.appendChild(li);
      return { li, name, fill: li.querySelector('.fill'), pct: li.querySelector('.pct') };
    });
    const longest = Math.max(1, ...names.map((name) => name.length));
    barsEl.classList.toggle('named', longest > 1);
    if (longest > 1) {
      barsEl.style.setProperty('--label-width', `${Math.min(10, longest * 0.62 + 0.4)}em`);
    } else {
      barsEl.style.removeProperty('--label-width');
    }
    barsEl.setAttribute('aria-label',
      sameNames(names, DIGITS) ? 'Probability of each digit' : 'Probability of each class');
  }

  let shown = { probabilities: null, best: -1 };
  function setBars(probabilities, best) {
    shown = { probabilities, best };
    if (probabilities && probabilities.length !== bars.length) {
      // An answer with another number of classes than the description said.
      buildBars(probabilities.map((_, k) => className(k)));
    }
    bars.forEach((bar, d) => {
      const p = probabilities ? probabilities[d] : 0;
      bar.fill.style.width = `${(p * 100).toFixed(1)}%`;
      bar.pct.textContent = `${(p * 100).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;
      bar.li.classList.toggle('best', d === best);
      bar.li.setAttribute('aria-label', `${bar.name}: ${(p * 100).toFixed(0)} percent`);
    });
  }

  // The answer's label in the big box, smaller when it is longer than two characters.
  function showLabel(text) {
    digitEl.textContent = text;
    digitEl.classList.toggle('long', text.length > 2);
  }

  function showPrediction(body) {
    const pending = dirty || current !== null;
    result.dataset.state = pending ? 'pending' : 'done';
    result.classList.toggle('is-unsure', body.uncertain);
    errorEl.hidden = true;
    unsureEl.hidden = !body.uncertain;
    if (body.digit === null) {
      // No ink the server could find (a dot too faint, say): no digit to show.
      showLabel('?');
      confidenceEl.textContent = body.reason || 'No digit found';
      setBars(null, -1);
      return;
    }
    showLabel(body.label ?? className(body.digit));
    result.dataset.confidence = String(body.confidence);
    confidenceEl.textContent = `${(body.confidence * 100).toFixed(1)}% sure`;
    setBars(body.probabilities, body.digit);
    showInput(body.input, body.input_width, body.input_height, body.input_max);
  }

  function showEmpty() {
    result.dataset.state = 'empty';
    result.classList.remove('is-unsure');
    showLabel('?');
    confidenceEl.textContent = 'Waiting for a drawing';
    unsureEl.hidden = true;
    errorEl.hidden = true;
    setBars(null, -1);
    const sctx = seen.getContext('2d');
    sctx.fillStyle = '#ffffff';
    sctx.fillRect(0, 0, seen.width, seen.height);
  }

  function showError(message) {
    result.dataset.state = 'error';
    errorEl.hidden = false;
    errorEl.textContent = `The server could not read this: ${message}`;
  }

  // The prepared input, dark ink on white like the pad, one canvas pixel per input pixel.
  function showInput(values, width, height, max) {
    if (!values || !width || !height) return;
    seen.width = width;
    seen.height = height;
    const sctx = seen.getContext('2d');
    const image = sctx.createImageData(width, height);
    for (let i = 0; i < width * height; i++) {
      const ink = Math.min(1, Math.max(0, values[i] / max));
      const v = Math.round(255 * (1 - ink));
      image.data[4 * i] = v;
      image.data[4 * i + 1] = v;
      image.data[4 * i + 2] = Math.round(255 - ink * 175); // a faint indigo cast
      image.data[4 * i + 3] = 255;
    }
    sctx.putImageData(image, 0, 0);
    seenSize.textContent = `${width}x${height} pixels`;
  }

  // ---- the model -----------------------------------------------------------

  async function loadModel() {
    try {
      const response = await fetch('/api/model');
      const model = await response.json();
      const input = model.input || {};
      penWidth = pad.width * (PEN_FRACTION[input.width] || DEFAULT_PEN_FRACTION);
      if (typeof model.min_confidence === 'number') minConfidence = model.min_confidence;
      seenSize.textContent = `${input.width}x${input.height} pixels`;
      useClasses(model.classes);
      document.getElementById('model-info').textContent = describeModel(model);
    } catch (err) {
      document.getElementById('model-info').textContent =
        `Could not load the model's description: ${err.message}`;
    }
  }

  // The model's class names (strings, one per output) replace the digits, and the
  // bars are rebuilt for them, showing again what they showed.
  function useClasses(names) {
    const valid = Array.isArray(names) && names.length > 0
      && names.every((name) => typeof name === 'string');
    if (!valid) return;
    if (sameNames(names, classes)) return;
    classes = names;
    buildBars(classes);
    setBars(shown.probabilities, shown.best);
  }

  function describeModel(model) {
    const parts = [];
    const training = model.training || {};
    const input = model.input || {};
    const hidden = (model.layers || []).slice(0, -1).map((l) => l.activation);
    if (model.sizes) parts.push(`a ${model.sizes.join('-')} network`);
    if (hidden.length) parts.push(`${[...new Set(hidden)].join('/')} hidden units`);
    if (training.dataset) {
      parts.push(`trained on ${training.dataset} (${input.width}x${input.height})`);
    }
    if (!sameNames(classes, DIGITS)) {
      parts.push(`${classes.length} classes (${listNames(classes)})`);
    }
    if (typeof training.test_accuracy === 'number') {
      parts.push(`${(training.test_accuracy * 100).toFixed(1)}% test accuracy`);
    }
    return `Model: ${parts.join(', ')}.`;
  }

  // Up to twelve names, then how many more.
  function listNames(names) {
    const more = names.length > 12 ? ` and ${names.length - 12} more` : '';
    return names.slice(0, 12).join(', ') + more;
  }

  // ---- a photo of a number -------------------------------------------------

  const photoInput = document.getElementById('photo');
  const photoPanel = document.getElementById('photo-panel');
  const photoStatus = document.getElementById('photo-status');
  const photoResult = document.getElementById('photo-result');
  const photoView = document.getElementById('photo-view');
  const numberEl = document.getElementById('number');
  const numberUnsure = document.getElementById('number-unsure');
  const numberDigits = document.getElementById('number-digits');
  // Photos are sent with their longer side at most this long (a phone's 12-megapixel
  // photo becomes about 1.9 megapixels, a JPEG of a few hundred kB): still far more
  // than the 28x28 each digit is read at, and well under the server's body limit.
  const PHOTO_SIDE = 1600;

  photoInput.addEventListener('change', () => {
    const file = photoInput.files && photoInput.files[0];
    if (file) readPhoto(file);
  });

  async function readPhoto(file) {
    photoPanel.dataset.state = 'pending';
    photoStatus.textContent = `Reading ${file.name}\u2026`;
    try {
      const image = await loadImage(file);
      const scale = Math.min(1, PHOTO_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
      const sent = document.createElement('canvas');
      sent.width = Math.max(1, Math.round(image.naturalWidth * scale));
      sent.height = Math.max(1, Math.round(image.naturalHeight * scale));
      const sctx = sent.getContext('2d');
      sctx.imageSmoothingQuality = 'high';
      sctx.drawImage(image, 0, 0, sent.width, sent.height);
      const jpeg = await new Promise((resolve) => sent.toBlob(resolve, 'image/jpeg', 0.92));
      // As a form, the way a browser sends a file; the server also takes the raw JPEG.
      const form = new FormData();
      form.append('photo', jpeg, 'photo.jpg');
      const response = await fetch('/api/predict?number=true', { method: 'POST', body: form });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || response.statusText);
      showNumber(body, sent);
    } catch (err) {
      photoPanel.dataset.state = 'error';
      photoResult.hidden = true;
      photoStatus.textContent = `Could not read this photo: ${err.message || err}`;
    }
  }

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => {
        URL.revokeObjectURL(url);
        reject(new Error('not an image the browser can open'));
      };
      image.src = url;
    });
  }

  function showNumber(body, sent) {
    photoPanel.dataset.state = 'done';
    photoPanel.classList.toggle('is-unsure', body.uncertain);
    photoResult.hidden = false;
    numberEl.textContent = body.number === null ? 'no number' : numberText(body);
    numberUnsure.hidden = !(body.uncertain && body.number !== null);
    photoStatus.textContent = body.reason
      ? (body.number === null ? body.reason : `Not sure: ${body.reason}`)
      : `${body.digits.length} digit${body.digits.length === 1 ? '' : 's'} found.`;
    drawPhoto(sent, body.digits);
    numberDigits.textContent = '';
    body.digits.forEach((d) => numberDigits.appendChild(digitCard(d)));
  }

  // The server's number for a digit model; for another model, its class names
  // (the server's number is their indices), spaced when a name is longer than a character.
  function numberText(body) {
    if (sameNames(classes, DIGITS)) return body.number;
    const names = body.digits.map((d) => className(d.digit));
    return names.join(names.some((name) => name.length > 1) ? ' ' : '');
  }

  // The sent photo, scaled to the view, with each digit's box in its certainty's colour.
  function drawPhoto(sent, digits) {
    const scale = Math.min(1, 800 / sent.width);
    photoView.width = Math.round(sent.width * scale);
    photoView.height = Math.round(sent.height * scale);
    const vctx = photoView.getContext('2d');
    vctx.drawImage(sent, 0, 0, photoView.width, photoView.height);
    const line = Math.max(2, Math.round(photoView.width / 250));
    vctx.lineWidth = line;
    vctx.font = `bold ${Math.max(14, Math.round(photoView.width / 30))}px system-ui, sans-serif`;
    vctx.textBaseline = 'bottom';
    digits.forEach((d) => {
      const [x, y, w, h] = d.box.map((v) => v * scale);
      const colour = doubtful(d) ? '#d97706' : '#16a34a';
      vctx.strokeStyle = colour;
      vctx.fillStyle = colour;
      vctx.strokeRect(x - line, y - line, w + 2 * line, h + 2 * line);
      vctx.fillText(className(d.digit), x, Math.max(vctx.lineWidth * 8, y - 2 * line));
    });
  }

  function doubtful(d) {
    return Boolean(d.note) || d.confidence < minConfidence;
  }

  // One digit: its class name, its probability, and a small bar per class, each
  // labelled with its class name (its tooltip has the whole name and the percentage).
  function digitCard(d) {
    const li = document.createElement('li');
    li.classList.toggle('doubtful', doubtful(d));
    const name = className(d.digit);
    const percent = (d.confidence * 100).toFixed(1);
    li.setAttribute('aria-label', `${name}, ${percent} percent`);
    li.innerHTML = '<div class="head"><span class="d"></span><span class="p"></span></div>'
      + '<div class="spark" aria-hidden="true"></div>'
      + '<div class="spark-labels" aria-hidden="true"></div>';
    li.querySelector('.d').textContent = name;
    li.querySelector('.p').textContent = `${percent}%`;
    const spark = li.querySelector('.spark');
    const labels = li.querySelector('.spark-labels');
    d.probabilities.forEach((p, k) => {
      const bar = document.createElement('span');
      if (k === d.digit) bar.className = 'best';
      bar.style.height = `${Math.max(1, Math.round(p * 100))}%`;
      bar.title = `${className(k)}: ${(p * 100).toFixed(1)}%`;
      spark.appendChild(bar);
      const label = document.createElement('span');
      label.textContent = className(k);
      labels.appendChild(label);
    });
    // More than ten classes: a wider card, so each bar stays a few pixels wide.
    if (d.probabilities.length > 10) li.style.minWidth = `${9 * d.probabilities.length}px`;
    return li;
  }

  buildBars(classes);
  redrawNow();
  showEmpty();
  loadModel();
})();
