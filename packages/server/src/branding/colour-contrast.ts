/**
 * sRGB colours as `#rrggbb` and their contrast as WCAG 2.2 defines it (relative luminance, §1.4.3
 * "contrast ratio"): the measure the hosted pages' colours are held to.
 */

const HEX6 = /^#([0-9a-f]{6})$/i;
const HEX3 = /^#([0-9a-f]{3})$/i;

/** `#rgb` or `#rrggbb` (any case) as lowercase `#rrggbb`; undefined for anything else (names, rgb(), …). */
export function normaliseHexColour(value: string): string | undefined {
  const short = HEX3.exec(value);
  if (short) return `#${[...short[1]!].map((digit) => digit + digit).join('')}`.toLowerCase();
  return HEX6.test(value) ? value.toLowerCase() : undefined;
}

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function toHex(rgb: readonly number[]): string {
  return `#${rgb
    .map((c) =>
      Math.round(Math.min(255, Math.max(0, c)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** WCAG 2.2 relative luminance of an sRGB colour. */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2.2 contrast ratio, from 1 (same luminance) to 21 (black on white). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** `weight` of `towards` mixed into `colour` (0 → colour, 1 → towards), per sRGB channel. */
export function mix(colour: string, towards: string, weight: number): string {
  const from = channels(colour);
  const to = channels(towards);
  return toHex(from.map((c, i) => c + (to[i]! - c) * weight));
}

/** Black or white, whichever reads better on `background` (one of them always reaches 4.5:1). */
export function readableTextOn(background: string): string {
  return contrastRatio(background, '#ffffff') >= contrastRatio(background, '#000000') ? '#ffffff' : '#000000';
}

/**
 * `colour` moved towards `towards` in small steps until it has `minimum` contrast against every colour
 * in `against`; undefined when even `towards` itself does not.
 */
export function adjustForContrast(colour: string, towards: string, against: readonly string[], minimum: number): string | undefined {
  for (let step = 0; step <= 20; step++) {
    const candidate = mix(colour, towards, step / 20);
    if (against.every((other) => contrastRatio(candidate, other) >= minimum)) return candidate;
  }
  return undefined;
}

/** One decimal, rounded down, so a ratio shown as 4.5 never hides 4.49. */
export function formatRatio(ratio: number): string {
  return `${Math.floor(ratio * 10) / 10}:1`;
}
