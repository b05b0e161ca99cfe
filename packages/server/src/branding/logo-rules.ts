import { KeywayError } from '../errors/keyway-error.ts';

/**
 * Which logos a store may show. A logo only ever appears as an `<img>` (where a browser runs no script
 * and loads nothing else, whatever the image is), but the value is also meant for e-mails and other
 * renderers, so it is held to what is safe anywhere:
 * - `https:` URLs to a host name (no credentials, no IP literal with brackets): the pages' CSP then allows
 *   that origin for images. Plain `http:` is refused: on an https page it is blocked as mixed content,
 *   and on the way a network attacker could swap it.
 * - `data:` URLs of a raster image (PNG, JPEG, GIF, WebP), base64, at most 32 KiB decoded, whose bytes
 *   start with that format's signature. SVG is refused as `data:`: it is a document that can carry script
 *   and external references, and a renderer that shows it other than as an image would run them.
 * Everything else (`javascript:`, `file:`, other media types) is refused.
 */

export const MAX_LOGO_BYTES = 32 * 1024;
export const MAX_LOGO_URL_LENGTH = 2048;

const RASTER_SIGNATURES: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => ['GIF87a', 'GIF89a'].includes(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/;
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export interface Logo {
  url: string;
  /** The origin a page's CSP must allow for images; undefined for a `data:` logo (already allowed). */
  origin?: string | undefined;
}

function refuse(reason: string): never {
  throw new KeywayError('BRANDING_LOGO_INVALID', `logo: ${reason}`, { errors: [{ field: 'logo', message: reason }] });
}

export function checkLogo(value: string): Logo {
  if (value.startsWith('data:')) return checkDataLogo(value);
  if (value.length > MAX_LOGO_URL_LENGTH) refuse(`an https URL of at most ${MAX_LOGO_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse('must be an https URL or a data: URL of a PNG, JPEG, GIF or WebP image');
  }
  if (url.protocol !== 'https:') refuse(`${url.protocol} URLs are not allowed; use https, or a data: URL of a PNG, JPEG, GIF or WebP image`);
  if (url.username !== '' || url.password !== '') refuse('an https URL must not carry a user name or password');
  if (!HOST_NAME.test(url.hostname)) refuse('an https URL must name its host by a DNS name');
  return { url: url.href, origin: url.origin };
}

function checkDataLogo(value: string): Logo {
  const match = DATA_URL.exec(value);
  if (!match) refuse('a data: logo must be data:image/<png|jpeg|gif|webp>;base64,<data>');
  const [, mediaType, base64] = match as unknown as [string, string, string];
  const matches = RASTER_SIGNATURES[mediaType];
  if (!matches) refuse(`${mediaType} is not allowed as a data: logo (PNG, JPEG, GIF or WebP only; an SVG can carry script)`);
  if (base64.length % 4 !== 0) refuse('the base64 data is not complete');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) refuse('the image is empty');
  if (bytes.length > MAX_LOGO_BYTES) refuse(`the image is ${bytes.length} bytes; at most ${MAX_LOGO_BYTES} are allowed (or use an https URL)`);
  if (!matches(bytes)) refuse(`the data is not a ${mediaType} image`);
  return { url: value };
}
