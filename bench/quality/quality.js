#!/usr/bin/node
// The quality bench: swaps pairs of face photos with `dlc run` and scores each output with a face
// recognizer dlc does not use (face-api's port of dlib's 128-D ResNet, on tfjs's wasm backend).
// A benchmark, not a test: it prints markdown tables and never fails on a number.
//
//   scripts/setup.sh --bench && cmake --build build --target dlc
//   /usr/bin/node bench/quality/quality.js [--dlc build/dlc] [--out build/quality] [--label NAME]
//       [--pairs N] [--strips] [--no-check] [-- extra dlc run flags]
//
// Per pair (source → target) it prints: identity transfer d(out,target)/(d(out,source)+d(out,target))
// (1 = the source's identity, 0 = still the target), d(out,source), d(out,target), pose (mean
// distance of the output's 68 landmarks from the target's, % of the target's outer eye-corner
// distance), seam (mean gradient magnitude in a band on the face hull's outline, output over
// target: 1 = no edge added), colour (CIE76 ΔE between the mean LAB of the output's cheeks and of
// the target's forehead just above the brows, which the swap leaves as it was; the target's own
// cheeks against its forehead beside it).
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '../..');
const bench = path.join(root, 'third_party/bench-quality');
if (!fs.existsSync(path.join(bench, '.complete'))) {
  console.error(`quality.js: ${bench} is missing: run scripts/setup.sh --bench first`);
  process.exit(1);
}
module.paths.unshift(path.join(bench, 'node_modules'));
const faceapi = require(path.join(bench, 'pkg/face-api/dist/face-api.node-wasm.js'));
const { PNG } = require(path.join(bench, 'pkg/pngjs'));
const jpeg = require(path.join(bench, 'pkg/jpeg-js'));
const tf = faceapi.tf;

// dlib's get_face_chip_details(det, 150, 0.25): dlib's mean face shape (points 17–67, from
// dlib/image_transforms/interpolation.h), of which the brows (17–26) and the lower lip (55–59,
// 65–67) are left out, padded by 0.25 on each side and scaled to a 150 px chip.
const kChipSize = 150;
const kChipPadding = 0.25;
const kMeanFaceX = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127,
  0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825,
  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985,
  0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379,
  0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const kMeanFaceY = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352,
  0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852,
  0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405,
  0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792,
  0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];
// Where this recognizer separates people on aligned chips. dlib's examples use 0.6, but on these
// photos 7 of 153 pairs of different people measured 0.54–0.60 while the same person (mirrored,
// scaled to 90 %) stayed at or under 0.36: 0.5 separates both (the check below prints it each run).
const kSamePersonThreshold = 0.5;
// The faces cut out of face-api's demo photos: detections at least this wide, this sure.
const kMinCropFace = 120;
const kMinCropScore = 0.8;
// A face is what face-api's SSD detector scores at least this (its own default); an output without
// one is reported with the best score under it, down to kBestScoreFloor.
const kMinFaceScore = 0.5;
const kBestScoreFloor = 0.05;

// ---- images: { width, height, data: Uint8Array RGB } ----
function readImage(file) {
  const bytes = fs.readFileSync(file);
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const png = PNG.sync.read(bytes);
    const rgb = new Uint8Array(png.width * png.height * 3);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgb[i] = png.data[j];
      rgb[i + 1] = png.data[j + 1];
      rgb[i + 2] = png.data[j + 2];
    }
    return { width: png.width, height: png.height, data: rgb };
  }
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  return { width: img.width, height: img.height, data: img.data };
}

function writePng(file, img) {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    png.data[j] = img.data[i];
    png.data[j + 1] = img.data[i + 1];
    png.data[j + 2] = img.data[i + 2];
    png.data[j + 3] = 255;
  }
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, PNG.sync.write(png));
  fs.renameSync(tmp, file);
}

function crop(img, x0, y0, w, h) {
  const out = { width: w, height: h, data: new Uint8Array(w * h * 3) };
  for (let y = 0; y < h; ++y) {
    for (let x = 0; x < w; ++x) {
      const sx = Math.min(img.width - 1, Math.max(0, x0 + x));
      const sy = Math.min(img.height - 1, Math.max(0, y0 + y));
      for (let c = 0; c < 3; ++c) out.data[(y * w + x) * 3 + c] = img.data[(sy * img.width + sx) * 3 + c];
    }
  }
  return out;
}

function flipped(img) {
  const out = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
  for (let y = 0; y < img.height; ++y) {
    for (let x = 0; x < img.width; ++x) {
      for (let c = 0; c < 3; ++c) out.data[(y * img.width + x) * 3 + c] = img.data[(y * img.width + img.width - 1 - x) * 3 + c];
    }
  }
  return out;
}

function sample(img, x, y, c) {
  const x0 = Math.max(0, Math.min(img.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(img.height - 1, Math.floor(y)));
  const x1 = Math.min(img.width - 1, x0 + 1);
  const y1 = Math.min(img.height - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const at = (xx, yy) => img.data[(yy * img.width + xx) * 3 + c];
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

function scaled(img, s) {
  const w = Math.round(img.width * s);
  const h = Math.round(img.height * s);
  const out = { width: w, height: h, data: new Uint8Array(w * h * 3) };
  for (let y = 0; y < h; ++y) {
    for (let x = 0; x < w; ++x) {
      for (let c = 0; c < 3; ++c) out.data[(y * w + x) * 3 + c] = Math.round(sample(img, (x + 0.5) / s - 0.5, (y + 0.5) / s - 0.5, c));
    }
  }
  return out;
}

// ---- the recognizer ----
function tensorOf(img) {
  return tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
}

// The similarity (rotation, uniform scale, shift) taking points `from` onto `to` in the least
// squares sense (Umeyama 1991 without reflection; what dlib's find_similarity_transform solves).
function similarity(from, to) {
  const n = from.length;
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; ++i) { fx += from[i][0]; fy += from[i][1]; tx += to[i][0]; ty += to[i][1]; }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let a = 0, b = 0, ss = 0;
  for (let i = 0; i < n; ++i) {
    const px = from[i][0] - fx, py = from[i][1] - fy, qx = to[i][0] - tx, qy = to[i][1] - ty;
    a += px * qx + py * qy;
    b += px * qy - py * qx;
    ss += px * px + py * py;
  }
  const c = a / ss, s = b / ss;
  return { c, s, dx: tx - (c * fx - s * fy), dy: ty - (s * fx + c * fy) };
}

function alignedChip(img, points) {
  const from = [], to = [];
  for (let i = 17; i < 68; ++i) {
    if ((i >= 55 && i <= 59) || (i >= 65 && i <= 67) || i <= 26) continue;
    from.push([((kChipPadding + kMeanFaceX[i - 17]) / (2 * kChipPadding + 1)) * kChipSize,
               ((kChipPadding + kMeanFaceY[i - 17]) / (2 * kChipPadding + 1)) * kChipSize]);
    to.push(points[i]);
  }
  const t = similarity(from, to);
  const chip = { width: kChipSize, height: kChipSize, data: new Uint8Array(kChipSize * kChipSize * 3) };
  for (let y = 0; y < kChipSize; ++y) {
    for (let x = 0; x < kChipSize; ++x) {
      const sx = t.c * x - t.s * y + t.dx;
      const sy = t.s * x + t.c * y + t.dy;
      for (let c = 0; c < 3; ++c) chip.data[(y * kChipSize + x) * 3 + c] = Math.round(sample(img, sx, sy, c));
    }
  }
  return chip;
}

// Every face face-api finds, largest first: { box, score, points: [[x, y] × 68] }.
async function detect(img) {
  const input = tensorOf(img);
  const found = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: kMinFaceScore })).withFaceLandmarks();
  input.dispose();
  return found
    .map((f) => ({ box: f.detection.box, score: f.detection.score, points: f.landmarks.positions.map((p) => [p.x, p.y]) }))
    .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}

// The detector's best score on an image where it finds no face (under kMinFaceScore; 0 when it
// finds nothing above kBestScoreFloor): how near the output came to being found.
async function bestScore(img) {
  const input = tensorOf(img);
  const found = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: kBestScoreFloor }));
  input.dispose();
  return found.reduce((best, f) => Math.max(best, f.score), 0);
}

// The largest face's landmarks, its detection score and its descriptor from the aligned chip, or
// null without a face.
async function analyse(img) {
  const faces = await detect(img);
  if (faces.length === 0) return null;
  const chip = tensorOf(alignedChip(img, faces[0].points));
  const descriptor = await faceapi.computeFaceDescriptor(chip);
  chip.dispose();
  return { points: faces[0].points, score: faces[0].score, descriptor };
}

function distance(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; ++i) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

// ---- the pixel measures ----
function luma(img, x, y) {
  const i = (y * img.width + x) * 3;
  return 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
}

function convexHull(points) {
  const p = points.map((q) => [q[0], q[1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [], upper = [];
  for (const q of p) { while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop(); lower.push(q); }
  for (const q of p.reverse()) { while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop(); upper.push(q); }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

function distanceToOutline(hull, x, y) {
  let best = Infinity;
  for (let i = 0; i < hull.length; ++i) {
    const [ax, ay] = hull[i];
    const [bx, by] = hull[(i + 1) % hull.length];
    const dx = bx - ax, dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
    best = Math.min(best, Math.hypot(x - ax - t * dx, y - ay - t * dy));
  }
  return best;
}

function eyeDistance(points) {
  return Math.hypot(points[45][0] - points[36][0], points[45][1] - points[36][1]);
}

// Mean Sobel magnitude of out and of target within `band` px of the target hull's outline: the
// classic swapper's seam lies just inside that outline.
function seamRatio(out, target, points) {
  const hull = convexHull(points);
  const band = Math.max(2, eyeDistance(points) * 0.06);
  const xs = hull.map((p) => p[0]), ys = hull.map((p) => p[1]);
  const x0 = Math.max(1, Math.floor(Math.min(...xs) - band)), x1 = Math.min(out.width - 2, Math.ceil(Math.max(...xs) + band));
  const y0 = Math.max(1, Math.floor(Math.min(...ys) - band)), y1 = Math.min(out.height - 2, Math.ceil(Math.max(...ys) + band));
  const sobel = (img, x, y) => {
    const gx = luma(img, x + 1, y - 1) + 2 * luma(img, x + 1, y) + luma(img, x + 1, y + 1) - luma(img, x - 1, y - 1) - 2 * luma(img, x - 1, y) - luma(img, x - 1, y + 1);
    const gy = luma(img, x - 1, y + 1) + 2 * luma(img, x, y + 1) + luma(img, x + 1, y + 1) - luma(img, x - 1, y - 1) - 2 * luma(img, x, y - 1) - luma(img, x + 1, y - 1);
    return Math.hypot(gx, gy);
  };
  let so = 0, st = 0;
  for (let y = y0; y <= y1; ++y) {
    for (let x = x0; x <= x1; ++x) {
      if (distanceToOutline(hull, x, y) > band) continue;
      so += sobel(out, x, y);
      st += sobel(target, x, y);
    }
  }
  return st > 0 ? so / st : NaN;
}

// sRGB (D65) to CIE L*a*b*.
function lab(r, g, b) {
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const R = lin(r), G = lin(g), B = lin(b);
  const X = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const Z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))];
}

function meanLab(img, rects) {
  const sum = [0, 0, 0];
  let n = 0;
  for (const [x0, y0, x1, y1] of rects) {
    for (let y = Math.max(0, Math.round(y0)); y < Math.min(img.height, Math.round(y1)); ++y) {
      for (let x = Math.max(0, Math.round(x0)); x < Math.min(img.width, Math.round(x1)); ++x) {
        const i = (y * img.width + x) * 3;
        const v = lab(img.data[i], img.data[i + 1], img.data[i + 2]);
        sum[0] += v[0]; sum[1] += v[1]; sum[2] += v[2]; ++n;
      }
    }
  }
  return n ? sum.map((s) => s / n) : [NaN, NaN, NaN];
}

// The cheeks (between the nose's wing and the jaw, at the nose's height) and the forehead above
// the brows, from the target's landmarks.
function skinRegions(points) {
  const e = eyeDistance(points);
  const r = e * 0.12;
  const cheek = (a, b) => { const cx = (points[a][0] + points[b][0]) / 2, cy = (points[a][1] + points[b][1]) / 2; return [cx - r, cy - r, cx + r, cy + r]; };
  const browTop = Math.min(points[19][1], points[24][1]);
  return {
    cheeks: [cheek(31, 2), cheek(35, 14)],
    forehead: [[points[19][0], browTop - 0.35 * e, points[24][0], browTop - 0.12 * e]],
  };
}

function deltaE(a, b) {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

// ---- the run ----
function parseArgs(argv) {
  const args = { dlc: path.join(root, 'build/dlc'), out: path.join(root, 'build/quality'), label: 'dlc', pairs: Infinity, strips: false, check: true, extra: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--') { args.extra = argv.slice(i + 1); break; }
    const value = () => { if (i + 1 >= argv.length) { console.error(`quality.js: ${a} needs a value`); process.exit(2); } return argv[++i]; };
    if (a === '--dlc') args.dlc = path.resolve(value());
    else if (a === '--out') args.out = path.resolve(value());
    else if (a === '--label') args.label = value();
    else if (a === '--pairs') args.pairs = Number(value());
    else if (a === '--strips') args.strips = true;
    else if (a === '--no-check') args.check = false;
    else { console.error(`quality.js: unknown argument '${a}'`); process.exit(2); }
  }
  return args;
}

// The bench's photos: the two set-up photos (Debian's python3-skimage and python-matplotlib-data)
// and each large, sure face in face-api's demo photos (MIT, inside @vladmandic/face-api), cut out
// with its surroundings; cached in OUT/photos.
async function photos(out) {
  const dir = path.join(out, 'photos');
  fs.mkdirSync(dir, { recursive: true });
  const list = [
    { name: 'astronaut', file: path.join(root, '.cache/media/astronaut.png') },
    { name: 'grace_hopper', file: path.join(root, '.cache/media/grace_hopper.jpg') },
  ];
  for (const demo of ['sample2', 'sample3', 'sample4', 'sample5', 'sample6']) {
    const marker = path.join(dir, `${demo}.done`);
    if (!fs.existsSync(marker)) {
      const img = readImage(path.join(bench, `pkg/face-api/demo/${demo}.jpg`));
      const faces = (await detect(img)).filter((f) => f.box.width >= kMinCropFace && f.score >= kMinCropScore);
      faces.sort((a, b) => a.box.x - b.box.x);
      faces.forEach((f, k) => {
        const side = Math.round(Math.max(f.box.width, f.box.height) * 2.2);
        const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2;
        writePng(path.join(dir, `${demo}_${k + 1}.png`), crop(img, Math.round(cx - side / 2), Math.round(cy - side / 2), side, side));
      });
      fs.writeFileSync(marker, `${faces.length}\n`);
    }
  }
  for (const f of fs.readdirSync(dir).filter((n) => /^sample\d_\d+\.png$/.test(n)).sort()) {
    list.push({ name: f.replace(/\.png$/, ''), file: path.join(dir, f) });
  }
  return list;
}

function fmt(v, d = 3) {
  return Number.isFinite(v) ? v.toFixed(d) : '–';
}

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function strip(images, height) {
  const scaledImages = images.map((img) => scaled(img, height / img.height));
  const width = scaledImages.reduce((w, img) => w + img.width, 0);
  const out = { width, height, data: new Uint8Array(width * height * 3) };
  let x0 = 0;
  for (const img of scaledImages) {
    for (let y = 0; y < height; ++y) {
      out.data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), (y * width + x0) * 3);
    }
    x0 += img.width;
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(args.dlc)) { console.error(`quality.js: ${args.dlc} not found: build dlc first`); process.exit(1); }
  tf.setWasmPaths(path.join(bench, 'pkg/tfjs-backend-wasm/dist/'));
  await tf.setBackend('wasm');
  await tf.ready();
  const models = path.join(bench, 'pkg/face-api/model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);

  const people = [];
  for (const p of await photos(args.out)) {
    const img = readImage(p.file);
    const face = await analyse(img);
    if (!face) { console.error(`quality.js: no face in ${p.file}; left out`); continue; }
    people.push({ ...p, img, face });
  }

  // The bench's own check: a photo against its mirror image and a 90 % copy (the same person),
  // and every two different photos (different people: the demo photos show each person once).
  if (args.check) await check(people);
  await swapPairs(args, people);
}

async function check(people) {
  console.log(`## The recognizer's check (threshold ${kSamePersonThreshold})\n`);
  console.log('| photo | face px | d(mirror) | d(90 %) | nearest other photo | d |');
  console.log('|---|---|---|---|---|---|');
  let sameOk = 0, diffOk = 0, diffAll = 0;
  for (const p of people) {
    const mirror = await analyse(flipped(p.img));
    const small = await analyse(scaled(p.img, 0.9));
    const dm = mirror ? distance(p.face.descriptor, mirror.descriptor) : NaN;
    const ds = small ? distance(p.face.descriptor, small.descriptor) : NaN;
    sameOk += (dm < kSamePersonThreshold) + (ds < kSamePersonThreshold);
    let nearest = null, dn = Infinity;
    for (const q of people) {
      if (q === p) continue;
      const d = distance(p.face.descriptor, q.face.descriptor);
      if (d < dn) { dn = d; nearest = q.name; }
    }
    console.log(`| ${p.name} | ${Math.round(eyeDistance(p.face.points) * 2.2)} | ${fmt(dm)} | ${fmt(ds)} | ${nearest} | ${fmt(dn)} |`);
  }
  for (let i = 0; i < people.length; ++i) {
    for (let j = i + 1; j < people.length; ++j) {
      ++diffAll;
      diffOk += distance(people[i].face.descriptor, people[j].face.descriptor) > kSamePersonThreshold;
    }
  }
  console.log(`\nsame person under ${kSamePersonThreshold}: ${sameOk} of ${2 * people.length}; different people over it: ${diffOk} of ${diffAll}\n`);
}

async function swapPairs(args, people) {

  // The pairs: each photo onto the next and the next onto it, around the list.
  const pairs = [];
  for (let i = 0; i < people.length && pairs.length < args.pairs; ++i) {
    const j = (i + 1) % people.length;
    pairs.push([people[i], people[j]]);
    if (pairs.length < args.pairs && people.length > 2) pairs.push([people[j], people[i]]);
  }
  const swaps = path.join(args.out, 'swaps', args.label);
  fs.mkdirSync(swaps, { recursive: true });
  console.log(`## Swaps: ${args.label}${args.extra.length ? ` (${args.extra.join(' ')})` : ''}\n`);
  console.log('| source → target | identity transfer | d(out,source) | d(out,target) | pose % | seam | colour ΔE (target) |');
  console.log('|---|---|---|---|---|---|---|');
  const transfers = [], poses = [], seams = [], colours = [];
  let closerToSource = 0, scored = 0;
  // The output the detector was least sure of (its score, or its best under kMinFaceScore where it
  // found no face): how near the bench's face count is to changing.
  let lowest = { score: Infinity, pair: '' };
  const noteScore = (score, pair) => { if (score < lowest.score) lowest = { score, pair }; };
  for (const [s, t] of pairs) {
    const outFile = path.join(swaps, `${s.name}__${t.name}.png`);
    try {
      execFileSync(args.dlc, ['run', '-s', s.file, '-t', t.file, '-o', outFile, ...args.extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      console.log(`| ${s.name} → ${t.name} | dlc failed: ${String(e.stderr).trim().split('\n').pop()} | | | | | |`);
      continue;
    }
    const out = readImage(outFile);
    const face = await analyse(out);
    if (!face) {
      const best = await bestScore(out);
      noteScore(best, `${s.name} → ${t.name}`);
      console.log(`| ${s.name} → ${t.name} | no face in the output (best detection ${fmt(best, 2)}, a face needs ${kMinFaceScore}) | | | | | |`);
      continue;
    }
    noteScore(face.score, `${s.name} → ${t.name}`);
    const ds = distance(face.descriptor, s.face.descriptor);
    const dt = distance(face.descriptor, t.face.descriptor);
    const transfer = dt / (ds + dt);
    transfers.push(transfer);
    ++scored;
    closerToSource += ds < dt;
    const e = eyeDistance(t.face.points);
    const pose = (face.points.reduce((sum, p, k) => sum + Math.hypot(p[0] - t.face.points[k][0], p[1] - t.face.points[k][1]), 0) / 68 / e) * 100;
    const regions = skinRegions(t.face.points);
    const forehead = meanLab(t.img, regions.forehead);
    const colour = deltaE(meanLab(out, regions.cheeks), forehead);
    const colourTarget = deltaE(meanLab(t.img, regions.cheeks), forehead);
    const seam = seamRatio(out, t.img, t.face.points);
    poses.push(pose);
    seams.push(seam);
    colours.push(colour);
    console.log(`| ${s.name} → ${t.name} | ${fmt(transfer)} | ${fmt(ds)} | ${fmt(dt)} | ${fmt(pose, 1)} | ${fmt(seam, 2)} | ${fmt(colour, 1)} (${fmt(colourTarget, 1)}) |`);
    if (args.strips) writePng(path.join(swaps, `strip_${s.name}__${t.name}.png`), strip([s.img, t.img, out], 256));
  }
  console.log(`\nmedian identity transfer ${fmt(median(transfers))}; d(out,source) < d(out,target) on ${closerToSource} of ${scored} pairs`);
  // The other columns as the README's tables give them: median (range) over the scored outputs.
  const spread = (v, d) => `${fmt(median(v), d)} (${fmt(Math.min(...v), d)}–${fmt(Math.max(...v), d)})`;
  if (scored) console.log(`faces found in ${scored} of ${pairs.length} outputs; pose % ${spread(poses, 1)}; seam ${spread(seams, 2)}; colour ΔE ${fmt(median(colours), 1)}`);
  if (lowest.pair) console.log(`lowest detection score ${fmt(lowest.score, 2)} (${lowest.pair}; a face needs ${kMinFaceScore})`);
}

main().catch((e) => { console.error(`quality.js: ${e.stack || e}`); process.exit(1); });
