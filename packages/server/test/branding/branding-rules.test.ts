// The branding rules without a server: WCAG contrast arithmetic, colour syntax, what Keyway derives
// (and that it always passes), what it never changes, the logo rules and the pages' CSP widening.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DEFAULT_PALETTES, themeCss } from '../../../hosted/src/theme.ts';
import { checkBranding, resolvePalettes } from '../../src/branding/branding-rules.ts';
import { contrastRatio, normaliseHexColour } from '../../src/branding/colour-contrast.ts';
import { checkLogo, MAX_LOGO_BYTES } from '../../src/branding/logo-rules.ts';
import { brandedCsp } from '../../src/branding/page-branding.ts';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { HOSTED_PAGE_CSP } from '../../src/selfservice/hosted-pages-routes.ts';
import { dataUrl, discPng } from './logo-fixture.ts';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof KeywayError) return error.code;
    throw error;
  }
}

test('WCAG 2.2 contrast ratio: the published reference values', () => {
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#ffffff', '#ffffff'), 1);
  assert.equal(contrastRatio('#ffffff', '#000000'), contrastRatio('#000000', '#ffffff'), 'symmetric');
  // #767676 is the lightest grey with 4.5:1 on white; #777777 just misses it.
  assert.ok(contrastRatio('#767676', '#ffffff') >= 4.5);
  assert.ok(contrastRatio('#777777', '#ffffff') < 4.5);
});

test('colour syntax: #rgb and #rrggbb in any case, normalised; nothing else', () => {
  assert.equal(normaliseHexColour('#ABC'), '#aabbcc');
  assert.equal(normaliseHexColour('#0B6E4F'), '#0b6e4f');
  for (const bad of ['red', '#abcd', '#12345g', 'rgb(0,0,0)', '#fff;}', ' #ffffff', 'var(--x)', '']) assert.equal(normaliseHexColour(bad), undefined, bad);
});

test('Keyway’s own palettes pass every contrast rule', () => {
  assert.deepEqual(resolvePalettes({}).problems, []);
  assert.deepEqual(resolvePalettes({}).palettes, DEFAULT_PALETTES);
});

test('any brand colour: refused only for the light scheme’s card, else every derived colour passes in both schemes', () => {
  let accepted = 0;
  for (const r of ['00', '33', '66', '99', 'cc', 'ff']) {
    for (const g of ['00', '33', '66', '99', 'cc', 'ff']) {
      for (const b of ['00', '33', '66', '99', 'cc', 'ff']) {
        const colour = `#${r}${g}${b}`;
        const { palettes, problems } = resolvePalettes({ primaryColor: colour });
        if (problems.length > 0) {
          assert.ok(
            problems.every((p) => p.field === 'primaryColor' && p.message.startsWith('light scheme')),
            `${colour}: ${JSON.stringify(problems)}`,
          );
          assert.ok(contrastRatio(colour, '#ffffff') < 4.5 || contrastRatio(colour, DEFAULT_PALETTES.light.background) < 4.5, colour);
          continue;
        }
        accepted++;
        assert.equal(palettes.light.primary, colour, 'an administrator’s colour is used as given');
        for (const scheme of ['light', 'dark'] as const) {
          const p = palettes[scheme];
          assert.ok(contrastRatio(p.onPrimary, p.primary) >= 4.5, `${colour} ${scheme}: button text`);
          assert.ok(contrastRatio(p.onPrimary, p.primaryHover) >= contrastRatio(p.onPrimary, p.primary), `${colour} ${scheme}: hover only gains contrast`);
          assert.ok(contrastRatio(p.primary, p.surface) >= 4.5, `${colour} ${scheme}: links on the card`);
        }
      }
    }
  }
  assert.ok(accepted > 50, `most brand colours are usable (${accepted} of 216)`);
});

test('colours the administrator sets are never adjusted: a failing one refuses the whole branding', () => {
  const { palettes } = resolvePalettes({ primaryColor: '#0b6e4f', palettes: { dark: { primary: '#7fe0bd', onPrimary: '#00140c' } } });
  assert.equal(palettes.dark.primary, '#7fe0bd');
  assert.equal(palettes.dark.onPrimary, '#00140c');
  assert.equal(
    codeOf(() => checkBranding({ palettes: { dark: { primary: '#0b6e4f' } } })),
    'BRANDING_CONTRAST_TOO_LOW',
    'a dark-scheme primary that is too dark is refused, not lightened',
  );
  assert.equal(
    codeOf(() => checkBranding({ palettes: { light: { focus: '#f0f0f0' } } })),
    'BRANDING_CONTRAST_TOO_LOW',
    'the focus ring needs 3:1',
  );
});

test('logos: https URLs by host name; raster data: URLs with their signature and size; nothing else', () => {
  assert.deepEqual(checkLogo('https://cdn.example.com/brand/logo.svg'), { url: 'https://cdn.example.com/brand/logo.svg', origin: 'https://cdn.example.com' });
  assert.deepEqual(checkLogo('HTTPS://CDN.Example.com:8443/l.png'), { url: 'https://cdn.example.com:8443/l.png', origin: 'https://cdn.example.com:8443' });
  const png = dataUrl(discPng(16, '#123456'));
  assert.deepEqual(checkLogo(png), { url: png });
  assert.ok(checkLogo(dataUrl(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 'image/jpeg')));
  assert.ok(checkLogo(dataUrl(Buffer.from('GIF89a\x01\x00', 'latin1'), 'image/gif')));
  assert.ok(checkLogo(dataUrl(Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'), 'image/webp')));
  const refused = [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'vbscript:msgbox',
    'file:///etc/passwd',
    'http://cdn.example.com/logo.png',
    '//cdn.example.com/logo.png',
    '/logo.png',
    'https://[::1]/logo.png',
    'https://user@cdn.example.com/logo.png',
    `https://cdn.example.com/${'a'.repeat(2100)}`,
    dataUrl(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml'),
    'data:image/png,rawbytes',
    'data:image/png;base64,',
    'data:image/png;base64,iVBORw0KGgo', // not a whole base64 quantum
    dataUrl(Buffer.concat([discPng(4, '#000000'), Buffer.alloc(MAX_LOGO_BYTES)])),
    dataUrl(discPng(4, '#000000'), 'image/jpeg'),
  ];
  for (const logo of refused)
    assert.equal(
      codeOf(() => checkLogo(logo)),
      'BRANDING_LOGO_INVALID',
      logo.slice(0, 60),
    );
});

test('languages: a subset of the supported ones, no repeats, the default among them', () => {
  assert.deepEqual(checkBranding({ languages: { offered: ['es', 'fr'], default: 'es' } }).languages, { offered: ['es', 'fr'], default: 'es' });
  assert.equal(
    codeOf(() => checkBranding({ languages: { offered: ['en', 'EN'], default: 'en' } })),
    'BRANDING_LANGUAGE_UNSUPPORTED',
    'codes are lowercase',
  );
  assert.equal(
    codeOf(() => checkBranding({ languages: { offered: ['en', 'en'], default: 'en' } })),
    'VALIDATION_FAILED',
  );
  assert.equal(
    codeOf(() => checkBranding({ productName: 'Acme\u0007' })),
    'VALIDATION_FAILED',
    'no control characters in a product name',
  );
});

test('the theme stylesheet carries only the custom properties that differ, from validated colours', () => {
  assert.equal(themeCss(DEFAULT_PALETTES), '');
  const { palettes } = resolvePalettes({ primaryColor: '#0b6e4f' });
  const css = themeCss(palettes);
  assert.match(
    css,
    /^:root\{--accent:#0b6e4f;--accent-hover:#[0-9a-f]{6}\}\n@media \(prefers-color-scheme: dark\)\{:root\{--accent:#[0-9a-f]{6};--accent-text:#000000;--accent-hover:#[0-9a-f]{6}\}\}$/,
  );
  assert.throws(() => themeCss({ ...palettes, light: { ...palettes.light, primary: 'red}body{' } }), TypeError);
});

test('the pages’ CSP allows exactly the logo’s origin and the theme element’s hash', () => {
  const css = ':root{--accent:#0b6e4f}';
  const styleSource = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
  const csp = brandedCsp(HOSTED_PAGE_CSP, { logo: { url: 'https://cdn.example.com/l.png', origin: 'https://cdn.example.com' }, styleSource });
  assert.match(csp, /(^|; )img-src 'self' data: https:\/\/cdn\.example\.com(;|$)/);
  assert.ok(csp.includes(`style-src 'self' ${styleSource}`));
  assert.ok(csp.includes("default-src 'self'") && csp.includes("frame-ancestors 'none'"), 'the rest unchanged');
  assert.equal(brandedCsp(HOSTED_PAGE_CSP, { logo: undefined, styleSource: undefined }), HOSTED_PAGE_CSP);
});
