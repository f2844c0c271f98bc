// Draws the app's Teams icons (a shield holding a "restore" arrow) from geometry, so they can be
// regenerated and reviewed in code. `npx tsx appPackage/icons/draw-icons.ts` rewrites
// appPackage/color.png (192×192, full colour) and appPackage/outline.png (32×32, white on
// transparent, as Teams requires for the outline icon).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng, type RgbaImage } from './png.ts';

type Point = [number, number];
/** Is the point (in unit coordinates, y down) inside the shape? */
type Shape = (x: number, y: number) => boolean;
type Rgb = [number, number, number];

// ---------------------------------------------------------------- geometry (unit square)

function quadratic(p0: Point, c: Point, p1: Point, steps: number): Point[] {
  const out: Point[] = [];
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    out.push([
      u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0],
      u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1],
    ]);
  }
  return out;
}

function cubic(p0: Point, c0: Point, c1: Point, p1: Point, steps: number): Point[] {
  const out: Point[] = [];
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    const a = u * u * u;
    const b = 3 * u * u * t;
    const c = 3 * u * t * t;
    const d = t * t * t;
    out.push([a * p0[0] + b * c0[0] + c * c1[0] + d * p1[0], a * p0[1] + b * c0[1] + c * c1[1] + d * p1[1]]);
  }
  return out;
}

/** The shield's closed outline: a crest at the top centre, straight flanks, a point at the bottom. */
function shieldPolygon(inset: number): Point[] {
  const top: Point = [0.5, 0.08 + inset];
  const shoulder = 0.85 - inset;
  const rightTop: Point = [shoulder, 0.2 + inset * 0.6];
  const rightFlank: Point = [shoulder, 0.48];
  const bottom: Point = [0.5, 0.93 - inset * 1.4];
  const mirror = (p: Point): Point => [1 - p[0], p[1]];
  const right = [
    ...quadratic(top, [0.68, 0.17 + inset], rightTop, 24),
    rightFlank,
    ...cubic(rightFlank, [shoulder, 0.72], [0.68, 0.85 - inset], bottom, 32),
  ];
  const left = right.slice(0, -1).reverse().map(mirror);
  return [top, ...right, ...left];
}

function insidePolygon(poly: Point[]): Shape {
  return (x, y) => {
    let inside = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i];
      const [xj, yj] = poly[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}

function distanceToSegment(x: number, y: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (a[0] + t * dx), y - (a[1] + t * dy));
}

function strokePolygon(poly: Point[], width: number): Shape {
  return (x, y) => {
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      if (distanceToSegment(x, y, poly[j], poly[i]) <= width / 2) return true;
    }
    return false;
  };
}

/** Angle measured clockwise from 12 o'clock, in degrees [0, 360). */
function clockAngle(x: number, y: number, cx: number, cy: number): number {
  const a = (Math.atan2(x - cx, -(y - cy)) * 180) / Math.PI;
  return a < 0 ? a + 360 : a;
}

function onCircle(cx: number, cy: number, r: number, degrees: number): Point {
  const rad = (degrees * Math.PI) / 180;
  return [cx + r * Math.sin(rad), cy - r * Math.cos(rad)];
}

/**
 * A counter-clockwise "restore" arrow: an arc from `headAt` clockwise round to 12 o'clock with a
 * round tail, and an arrowhead at `headAt` pointing back (counter-clockwise), as history icons do.
 */
function restoreArrow(
  cx: number,
  cy: number,
  r: number,
  thickness: number,
  headAt: number,
  headScale = 1,
): Shape {
  const tail = onCircle(cx, cy, r, 0);
  const base = onCircle(cx, cy, r, headAt);
  const rad = (headAt * Math.PI) / 180;
  const back: Point = [-Math.cos(rad), -Math.sin(rad)]; // counter-clockwise tangent
  const headHalf = thickness * 1.25 * headScale;
  const headLength = thickness * 1.9 * headScale;
  const inner = onCircle(cx, cy, r - headHalf, headAt);
  const outer = onCircle(cx, cy, r + headHalf, headAt);
  // Start the head slightly behind the arc's end so they join without a seam.
  const tip: Point = [base[0] + back[0] * headLength, base[1] + back[1] * headLength];
  const head = insidePolygon([inner, outer, tip]);
  return (x, y) => {
    const d = Math.hypot(x - cx, y - cy);
    if (Math.abs(d - r) <= thickness / 2 && clockAngle(x, y, cx, cy) >= headAt - 1) return true;
    if (Math.hypot(x - tail[0], y - tail[1]) <= thickness / 2) return true;
    return head(x, y);
  };
}

/** Two clock hands (12 and 4 o'clock) with round caps: "point in time". */
function clockHands(cx: number, cy: number, length: number, thickness: number): Shape {
  const up = onCircle(cx, cy, length, 0);
  const right = onCircle(cx, cy, length * 0.75, 120);
  return (x, y) =>
    distanceToSegment(x, y, [cx, cy], up) <= thickness / 2 ||
    distanceToSegment(x, y, [cx, cy], right) <= thickness / 2;
}

// ---------------------------------------------------------------- raster

const SAMPLES = 4; // 4×4 supersampling per pixel for smooth edges

function coverage(shape: Shape, px: number, py: number, size: number): number {
  let hits = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      if (shape((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)) hits++;
    }
  }
  return hits / (SAMPLES * SAMPLES);
}

function blank(size: number): RgbaImage {
  return { width: size, height: size, data: new Uint8Array(size * size * 4) };
}

/** Paints `shape` over the image with a colour per pixel (source-over compositing). */
function paint(image: RgbaImage, shape: Shape, color: (x: number, y: number) => Rgb): void {
  const size = image.width;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const a = coverage(shape, px, py, size);
      if (a === 0) continue;
      const [r, g, b] = color((px + 0.5) / size, (py + 0.5) / size);
      const i = (py * size + px) * 4;
      const da = image.data[i + 3] / 255;
      const oa = a + da * (1 - a);
      const mix = (src: number, dst: number) => Math.round((src * a + dst * da * (1 - a)) / oa);
      image.data[i] = mix(r, image.data[i]);
      image.data[i + 1] = mix(g, image.data[i + 1]);
      image.data[i + 2] = mix(b, image.data[i + 2]);
      image.data[i + 3] = Math.round(oa * 255);
    }
  }
}

function lerp(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t)) as Rgb;
}

const BRAND_TOP: Rgb = [0x2f, 0x7c, 0xe6];
const BRAND_BOTTOM: Rgb = [0x0f, 0x3d, 0x91];
const ARROW: Rgb = [0x14, 0x4f, 0xb5];

/** 192×192 full-colour icon: blue field, white two-tone shield, blue restore arrow and clock hands. */
export function drawColorIcon(size = 192): RgbaImage {
  const image = blank(size);
  paint(
    image,
    () => true,
    (_x, y) => lerp(BRAND_TOP, BRAND_BOTTOM, y),
  );
  const shield = shieldPolygon(0.06);
  const cx = 0.5;
  const cy = 0.47;
  // A soft shadow under the shield lifts it off the field.
  const shadow = insidePolygon(shield.map(([x, y]) => [x + 0.012, y + 0.02] as Point));
  paint(image, shadow, () => [0x0b, 0x2c, 0x6b]);
  paint(image, insidePolygon(shield), (x) => (x < 0.5 ? [255, 255, 255] : [0xe3, 0xec, 0xfa]));
  paint(image, restoreArrow(cx, cy, 0.175, 0.058, 62), () => ARROW);
  paint(image, clockHands(cx, cy, 0.1, 0.042), () => ARROW);
  return image;
}

/** 32×32 outline icon: white shield outline and restore arrow on a transparent background. */
export function drawOutlineIcon(size = 32): RgbaImage {
  const image = blank(size);
  const white = (): Rgb => [255, 255, 255];
  paint(image, strokePolygon(shieldPolygon(0.03), 0.075), white);
  paint(image, restoreArrow(0.5, 0.48, 0.19, 0.075, 72, 1.3), white);
  paint(image, clockHands(0.5, 0.48, 0.08, 0.065), white);
  return image;
}

export const ICON_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export function writeIcons(dir = ICON_DIR): { color: string; outline: string } {
  const color = join(dir, 'color.png');
  const outline = join(dir, 'outline.png');
  writeFileSync(color, encodePng(drawColorIcon()));
  writeFileSync(outline, encodePng(drawOutlineIcon()));
  return { color, outline };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = writeIcons();
  process.stdout.write(`wrote ${written.color} and ${written.outline}\n`);
}
