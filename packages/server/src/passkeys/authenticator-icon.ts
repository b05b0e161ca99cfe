/**
 * A passkey provider's icon, made safe to hand to a browser. Icons come from data nobody here controls (a community
 * catalogue, a FIDO metadata statement), so only what an <img> can show without fetching anything passes: a base64
 * `data:` URI of a raster image whose bytes start as its type says, or an SVG document (an <img> runs no script in it
 * and loads nothing it names), at most MAX_ICON_BYTES decoded. Anything else (a URL, another media type, a mislabelled
 * or oversized image) is no icon; the console then draws its neutral mark.
 */
export const MAX_ICON_BYTES = 48 * 1024;

const SIGNATURES: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'image/svg+xml': (b) => /^(\uFEFF)?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s/>]/i.test(b.toString('utf8')),
};

const DATA_URI = /^data:(image\/(?:png|jpeg|gif|webp|svg\+xml));base64,([A-Za-z0-9+/]+={0,2})$/;

/** The icon as a canonical `data:<type>;base64,…` URI, or undefined when it is not one an <img> may safely show. */
export function safeIcon(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_ICON_BYTES * 2) return undefined;
  const match = DATA_URI.exec(value.trim().replace(/^data:image\/jpg;/, 'data:image/jpeg;'));
  if (!match) return undefined;
  const [, type, base64] = match as unknown as [string, string, string];
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_ICON_BYTES || !SIGNATURES[type]!(bytes)) return undefined;
  return `data:${type};base64,${bytes.toString('base64')}`;
}
