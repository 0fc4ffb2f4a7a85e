// End-to-end test of `digitnet serve`'s page in headless Chromium (Debian's /usr/bin/chromium),
// driven by playwright-core. Run by tests/serve_browser.rs:
//
//     node tests/browser/draw.mjs URL OUT_DIR
//
// It draws the strokes of known digits with the mouse (real pointer events), checks
// that the page shows each digit (and "not sure" exactly when the confidence is below
// the server's threshold), tries Undo and the keyboard shortcuts, clicks Clear and
// checks the page resets, then saves screenshots (desktop and phone-sized) in
// OUT_DIR. Prints one JSON summary line; exits non-zero if any check failed.
//
// With UNSURE=1 (a server started with --min-confidence 1) it only draws a 3 and
// checks the page shows it with "not sure", saving page-unsure.png.
//
// With CLASSES=1 (a server whose model has other classes than the ten digits, as
// GET /api/model lists them) it checks the page has one bar per class, labelled with
// the class names; draws the digits DRAW names (in the model's class order, "-" for a
// class it skips, say DRAW=01-7) and checks each is shown by its class name; uploads
// the picture PHOTO and checks the number view names its classes, expecting the
// number PHOTO_NUMBER; saves page-classes.png and page-classes-photo.png.

import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error('usage: node draw.mjs URL OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// ---- the digits, as strokes in unit coordinates of the pad (0..1) ------------

const line = (a, b, n = 8) =>
  Array.from({ length: n + 1 }, (_, i) => [
    a[0] + ((b[0] - a[0]) * i) / n,
    a[1] + ((b[1] - a[1]) * i) / n,
  ]);
// An elliptic arc; angles in degrees, 0 = right, 90 = down (screen coordinates).
const arc = (cx, cy, rx, ry, from, to, n = 24) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const t = ((from + ((to - from) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)];
  });
const path = (...parts) => parts.flat();

const DIGITS = {
  0: [arc(0.5, 0.5, 0.19, 0.29, -90, 270, 36)],
  1: [line([0.52, 0.2], [0.5, 0.8], 12)],
  2: [path(
    arc(0.5, 0.35, 0.17, 0.15, 190, 380, 16),
    line([0.66, 0.4], [0.3, 0.8], 10),
    line([0.3, 0.8], [0.72, 0.8], 6),
  )],
  3: [path(arc(0.49, 0.34, 0.16, 0.14, 200, 450, 18), arc(0.49, 0.64, 0.19, 0.16, -90, 160, 18))],
  4: [
    path(line([0.58, 0.2], [0.28, 0.6], 8), line([0.28, 0.6], [0.74, 0.6], 8)),
    line([0.6, 0.36], [0.6, 0.82], 8),
  ],
  5: [path(
    line([0.68, 0.2], [0.36, 0.2], 6),
    line([0.36, 0.2], [0.33, 0.47], 5),
    arc(0.5, 0.62, 0.19, 0.17, 230, 500, 20),
  )],
  6: [path(line([0.62, 0.18], [0.38, 0.45], 8), arc(0.5, 0.64, 0.17, 0.17, 200, 560, 30))],
  7: [path(line([0.28, 0.2], [0.72, 0.2], 8), line([0.72, 0.2], [0.42, 0.82], 10))],
  8: [path(arc(0.5, 0.33, 0.14, 0.13, 90, 450, 24), arc(0.5, 0.64, 0.17, 0.17, -90, 270, 28))],
  9: [path(arc(0.5, 0.36, 0.16, 0.15, 0, 360, 28), line([0.66, 0.36], [0.62, 0.82], 10))],
};

// ---- helpers ----------------------------------------------------------------

const failures = [];
function check(ok, message) {
  if (!ok) {
    failures.push(message);
    console.error(`FAIL: ${message}`);
  }
}

async function drawDigit(page, strokes) {
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    const [x0, y0] = at(stroke[0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (const p of stroke.slice(1)) {
      const [x, y] = at(p);
      await page.mouse.move(x, y, { steps: 2 });
    }
    await page.mouse.up();
  }
}

// Waits until the page has answered for the finished drawing, then reads it.
async function readAnswer(page) {
  await page.waitForSelector('#result[data-state="done"], #result[data-state="error"]',
    { timeout: 10000 });
  return page.evaluate(() => ({
    state: document.getElementById('result').dataset.state,
    digit: document.getElementById('digit').textContent,
    unsure: !document.getElementById('unsure').hidden,
    confidenceValue: Number(document.getElementById('result').dataset.confidence),
    confidence: document.getElementById('confidence').textContent,
    bars: [...document.querySelectorAll('#bars .pct')].map((e) => e.textContent),
    labels: [...document.querySelectorAll('#bars .label')].map((e) => e.textContent),
    error: document.getElementById('error').textContent,
  }));
}

async function readReset(page) {
  return page.evaluate(() => ({
    state: document.getElementById('result').dataset.state,
    digit: document.getElementById('digit').textContent,
    bars: [...document.querySelectorAll('#bars .fill')].map((e) => e.style.width),
    labels: [...document.querySelectorAll('#bars .label')].map((e) => e.textContent),
    inked: document.body.classList.contains('has-ink'),
    undoDisabled: document.getElementById('undo').disabled,
  }));
}

function checkReset(state, how) {
  check(state.state === 'empty', `${how}: state is ${state.state}, expected empty`);
  check(state.digit === '?', `${how}: the digit shows ${state.digit}, expected ?`);
  check(state.bars.every((w) => parseFloat(w) === 0), `${how}: bars not reset: ${state.bars}`);
  check(!state.inked, `${how}: the pad still has ink`);
}

// ---- the runs ---------------------------------------------------------------

// With --min-confidence 1 every answer is "not sure": draw a 3 and look.
async function unsureRun(page, answerFor) {
  await drawDigit(page, DIGITS[3]);
  const answer = await answerFor('3', 'unsure 3');
  summary.read['3'] = answer.digit;
  check(answer.unsure, 'with --min-confidence 1 the page should say "not sure"');
  await page.waitForTimeout(400); // let the bars' transition end before the picture
  await page.screenshot({ path: join(outDir, 'page-unsure.png') });
}

// A model of other classes: its bars and names, on the pad and in the number view.
async function classesRun(page, answerFor, model) {
  const names = model.classes;
  const fresh = await readReset(page);
  summary.labels = fresh.labels;
  check(sameList(fresh.labels, names), `bars ${fresh.labels}, expected ${names}`);
  const drawn = [...(process.env.DRAW || '')]
    .map((d, k) => [d, names[k]])
    .filter(([d]) => d !== '-');
  for (const [d, name] of drawn) {
    await page.click('#clear');
    await drawDigit(page, DIGITS[d]);
    const answer = await answerFor(name, `digit ${d} (class ${name})`);
    summary.read[d] = answer.digit;
    check(sameList(answer.labels, names), `digit ${d}: bars ${answer.labels}, expected ${names}`);
    check(answer.bars.length === names.length, `digit ${d}: ${answer.bars.length} bars`);
  }
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(outDir, 'page-classes.png') });

  await page.setInputFiles('#photo', process.env.PHOTO);
  await page.waitForSelector('#photo-panel[data-state="done"], #photo-panel[data-state="error"]',
    { timeout: 20000 });
  const photo = await page.evaluate(() => ({
    state: document.getElementById('photo-panel').dataset.state,
    status: document.getElementById('photo-status').textContent,
    number: document.getElementById('number').textContent,
    cards: [...document.querySelectorAll('#number-digits li')].map((li) => ({
      head: li.querySelector('.d').textContent,
      bars: li.querySelectorAll('.spark span').length,
      labels: [...li.querySelectorAll('.spark-labels span')].map((e) => e.textContent),
    })),
  }));
  summary.photo = photo;
  check(photo.state === 'done', `photo: ${photo.state}: ${photo.status}`);
  check(photo.number === process.env.PHOTO_NUMBER,
    `photo: the page shows ${photo.number}, expected ${process.env.PHOTO_NUMBER}`);
  check(photo.cards.length > 0, 'photo: no digit cards');
  for (const card of photo.cards) {
    check(names.includes(card.head), `photo: a card shows ${card.head}, not a class name`);
    check(card.bars === names.length, `photo: a card has ${card.bars} bars for ${names.length}`);
    check(sameList(card.labels, names), `photo: a card's labels are ${card.labels}`);
  }
  await page.screenshot({ path: join(outDir, 'page-classes-photo.png'), fullPage: true });
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function fullRun(page, answerFor) {
  // Every digit, drawn with the mouse, must be read as itself.
  for (const d of (process.env.DIGITS || '0123456789').split('')) {
    await page.click('#clear');
    await drawDigit(page, DIGITS[d]);
    const answer = await answerFor(d, `digit ${d}`);
    summary.read[d] = answer.digit;
    if (d === '3') {
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(outDir, 'page-3.png') });
    }
  }

  // Undo: a stroke added to a 1 and undone gives the 1 back; undoing everything resets.
  await page.click('#clear');
  await drawDigit(page, DIGITS[1]);
  await readAnswer(page);
  await drawDigit(page, [line([0.25, 0.5], [0.75, 0.5], 8)]);
  await readAnswer(page);
  await page.click('#undo');
  await answerFor('1', 'after Undo');
  await page.keyboard.press('Control+z');
  checkReset(await readReset(page), 'Ctrl+Z down to nothing');

  // Escape clears.
  await drawDigit(page, DIGITS[7]);
  await readAnswer(page);
  await page.keyboard.press('Escape');
  checkReset(await readReset(page), 'Escape');

  // The Clear button resets the page.
  await drawDigit(page, DIGITS[2]);
  await answerFor('2', 'before Clear');
  await page.click('#clear');
  checkReset(await readReset(page), 'Clear button');
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(outDir, 'page-cleared.png') });

  // A phone-sized screen: nothing wider than the screen, the pad and answer stacked.
  await page.setViewportSize({ width: 390, height: 844 });
  await drawDigit(page, DIGITS[5]);
  const phone = await answerFor('5', 'phone');
  const digitNames = Object.keys(DIGITS);
  check(sameList(phone.labels, digitNames), `phone: the bars are labelled ${phone.labels}`);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `phone: the page is ${overflow}px wider than the screen`);
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(outDir, 'page-phone.png'), fullPage: true });
}

const summary = { read: {}, failures };
const profile = mkdtempSync(join(tmpdir(), 'digitnet-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1000, height: 760 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  const foreign = [];
  // The page's own addresses, data: URLs and its object URLs of uploaded files.
  const own = [url, 'data:', `blob:${new URL(url).origin}/`];
  page.on('request', (r) => {
    if (!own.some((start) => r.url().startsWith(start))) foreign.push(r.url());
  });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  await page.goto(url);
  await page.waitForFunction(
    () => document.getElementById('model-info').textContent.startsWith('Model:'));
  checkReset(await readReset(page), 'fresh page');
  const model = await (await page.request.get(new URL('/api/model', url).href)).json();
  // Reads the finished answer; checks the digit, and "not sure" against the threshold.
  const answerFor = async (d, what) => {
    const answer = await readAnswer(page);
    check(answer.state === 'done', `${what}: the page says ${answer.state} ${answer.error}`);
    check(answer.digit === d,
      `${what}: the page shows ${answer.digit} (${answer.confidence}, bars ${answer.bars})`);
    const unsure = answer.confidenceValue < model.min_confidence;
    const shown = answer.unsure ? 'shown' : 'hidden';
    check(answer.unsure === unsure,
      `${what}: "not sure" is ${shown} at confidence ${answer.confidenceValue}`);
    return answer;
  };

  if (process.env.UNSURE === '1') await unsureRun(page, answerFor);
  else if (process.env.CLASSES === '1') await classesRun(page, answerFor, model);
  else await fullRun(page, answerFor);

  check(foreign.length === 0, `the page asked for outside addresses: ${foreign}`);
  check(consoleErrors.length === 0, `console errors: ${consoleErrors}`);
} catch (err) {
  failures.push(String(err && err.stack ? err.stack : err));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(summary));
process.exit(failures.length ? 1 : 0);
