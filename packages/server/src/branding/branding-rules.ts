import { LANGUAGES, type Language } from '../../../hosted/src/messages.ts';
import { DEFAULT_PALETTES, type ColorScheme, type Palette, type PaletteRole } from '../../../hosted/src/theme.ts';
import { KeywayError, validationError, type FieldProblem } from '../errors/keyway-error.ts';
import { adjustForContrast, contrastRatio, formatRatio, mix, normaliseHexColour, readableTextOn } from './colour-contrast.ts';
import type { BrandingInput } from './branding-schemas.ts';
import { checkLogo } from './logo-rules.ts';

/** The roles an administrator sets; the hover colour is always derived. */
export type SettableRole = Exclude<PaletteRole, 'primaryHover'>;
export type PaletteSettings = Partial<Record<SettableRole, string>>;

/** A store's branding as stored: what the administrator set, normalised (colours lowercase `#rrggbb`). */
export interface BrandingSettings {
  productName?: string;
  logo?: string;
  primaryColor?: string;
  palettes?: Partial<Record<ColorScheme, PaletteSettings>>;
  languages?: { offered: Language[]; default: Language };
}

const SCHEMES: readonly ColorScheme[] = ['light', 'dark'];

function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

/**
 * Checks an administrator's branding and answers it normalised; nothing is stored when this throws.
 * Order: colour syntax, logo, languages, then contrast (which needs valid colours).
 */
export function checkBranding(input: BrandingInput): BrandingSettings {
  const settings: BrandingSettings = {};
  if (input.productName !== undefined) {
    const name = input.productName.trim();
    // Control characters would reach window titles and e-mail subjects.
    if (name === '' || /\p{Cc}/u.test(name)) throw validationError('productName', 'must be visible text without control characters');
    settings.productName = name;
  }

  const badColours: FieldProblem[] = [];
  const colour = (field: string, value: string): string => {
    const hex = normaliseHexColour(value);
    if (hex === undefined) badColours.push({ field, message: `${JSON.stringify(value)} is not a colour; use #rgb or #rrggbb` });
    return hex ?? value;
  };
  if (input.primaryColor !== undefined) settings.primaryColor = colour('primaryColor', input.primaryColor);
  for (const scheme of SCHEMES) {
    const given = input.palettes?.[scheme];
    if (given === undefined) continue;
    const palette: PaletteSettings = {};
    for (const [role, value] of Object.entries(given) as [SettableRole, string | undefined][]) {
      if (value !== undefined) palette[role] = colour(`palettes.${scheme}.${role}`, value);
    }
    (settings.palettes ??= {})[scheme] = palette;
  }
  if (badColours.length > 0) {
    throw new KeywayError('BRANDING_COLOR_INVALID', badColours.map((p) => `${p.field}: ${p.message}`).join('; '), { errors: badColours });
  }

  if (input.logo !== undefined) settings.logo = checkLogo(input.logo).url;

  if (input.languages !== undefined) {
    const { offered, default: fallback } = input.languages;
    const unknown = [...offered.map((lang, i) => ({ field: `languages.offered.${i}`, lang })), { field: 'languages.default', lang: fallback }].filter(
      ({ lang }) => !isLanguage(lang),
    );
    if (unknown.length > 0) {
      const problems = unknown.map(({ field, lang }) => ({ field, message: `${JSON.stringify(lang)} is not a supported language (${LANGUAGES.join(', ')})` }));
      throw new KeywayError('BRANDING_LANGUAGE_UNSUPPORTED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { errors: problems });
    }
    if (new Set(offered).size !== offered.length) throw validationError('languages.offered', 'names a language twice');
    if (!offered.includes(fallback)) throw validationError('languages.default', `must be one of the offered languages (${offered.join(', ')})`);
    settings.languages = { offered: offered as Language[], default: fallback as Language };
  }

  const { problems } = resolvePalettes(settings);
  if (problems.length > 0) {
    throw new KeywayError('BRANDING_CONTRAST_TOO_LOW', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { errors: problems });
  }
  return settings;
}

/** A pair of colours the pages show one on the other, and the contrast WCAG 2.2 asks of it. */
interface ContrastRule {
  foreground: PaletteRole;
  background: PaletteRole;
  minimum: number;
  what: string;
}

/** Every pairing keyway.css draws (text 4.5:1, WCAG 1.4.3; the focus ring 3:1, WCAG 1.4.11). Borders are decorative. */
const CONTRAST_RULES: readonly ContrastRule[] = [
  { foreground: 'onPrimary', background: 'primary', minimum: 4.5, what: 'button text on primary buttons' },
  { foreground: 'primary', background: 'surface', minimum: 4.5, what: 'links and secondary buttons on the card' },
  { foreground: 'primary', background: 'background', minimum: 4.5, what: 'the language links below the card' },
  { foreground: 'text', background: 'surface', minimum: 4.5, what: 'text on the card' },
  { foreground: 'text', background: 'background', minimum: 4.5, what: 'text on the page' },
  { foreground: 'mutedText', background: 'surface', minimum: 4.5, what: 'hints on the card' },
  { foreground: 'mutedText', background: 'background', minimum: 4.5, what: 'the product name on the page' },
  { foreground: 'danger', background: 'surface', minimum: 4.5, what: 'error messages on the card' },
  { foreground: 'success', background: 'surface', minimum: 4.5, what: 'confirmations on the card' },
  { foreground: 'focus', background: 'surface', minimum: 3, what: 'the focus ring on the card' },
  { foreground: 'focus', background: 'background', minimum: 3, what: 'the focus ring on the page' },
];

/**
 * The pages' colours for each scheme: the administrator's over Keyway's defaults.
 *
 * Colours the administrator set are never changed: when one fails a contrast rule the whole branding
 * is refused (BRANDING_CONTRAST_TOO_LOW, naming the pair and the ratio). Colours Keyway derives are
 * chosen to pass: the text on primary buttons (black or white, whichever reads better), the hover
 * shade (moved away from that text, so it only gains contrast), and in the dark scheme the brand
 * colour lightened until it reads on the dark card and page (unless the dark palette sets its own).
 * The problems are checkBranding's to refuse; pages render stored branding whatever they say.
 */
export function resolvePalettes(settings: BrandingSettings): { palettes: Record<ColorScheme, Palette>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const resolved = {} as Record<ColorScheme, Palette>;
  for (const scheme of SCHEMES) {
    const defaults = DEFAULT_PALETTES[scheme];
    const given = settings.palettes?.[scheme] ?? {};
    const palette: Palette = { ...defaults, ...given };
    const source: Partial<Record<PaletteRole, string>> = Object.fromEntries(Object.keys(given).map((role) => [role, `palettes.${scheme}.${role}`]));

    if (given.primary === undefined && settings.primaryColor !== undefined) {
      if (scheme === 'light') {
        palette.primary = settings.primaryColor;
        source.primary = 'primaryColor';
      } else {
        // Lightened towards white: a brand colour chosen for a white card is usually too dark for a dark one.
        palette.primary = adjustForContrast(settings.primaryColor, '#ffffff', [palette.surface, palette.background], 4.5) ?? settings.primaryColor;
        source.primary = 'primaryColor';
      }
    }
    const primaryChanged = palette.primary !== defaults.primary;
    if (given.onPrimary === undefined && primaryChanged) palette.onPrimary = readableTextOn(palette.primary);
    if (primaryChanged || palette.onPrimary !== defaults.onPrimary) {
      palette.primaryHover = mix(palette.primary, palette.onPrimary === '#ffffff' ? '#000000' : '#ffffff', 0.2);
    }

    for (const rule of CONTRAST_RULES) {
      const ratio = contrastRatio(palette[rule.foreground], palette[rule.background]);
      if (ratio >= rule.minimum) continue;
      // Blame a colour the administrator set (the foreground first); if neither was, the foreground's palette entry is what to set.
      const field = source[rule.foreground] ?? source[rule.background] ?? `palettes.${scheme}.${rule.foreground}`;
      problems.push({
        field,
        message: `${scheme} scheme: ${rule.foreground} ${palette[rule.foreground]} on ${rule.background} ${palette[rule.background]} is ${formatRatio(ratio)}; ${rule.what} need at least ${rule.minimum}:1`,
      });
    }
    resolved[scheme] = palette;
  }
  return { palettes: resolved, problems };
}
