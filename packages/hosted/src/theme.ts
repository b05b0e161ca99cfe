// The colours of the hosted pages as named palette roles, and how a store's palettes become the CSS
// custom properties keyway.css is written in. The defaults are keyway.css's own values (a test keeps
// the two equal), so a store without branding renders exactly as the stylesheet alone does.

/** A colour role of the pages; each maps to one custom property of keyway.css. */
export const PALETTE_ROLES = [
  'primary',
  'onPrimary',
  'primaryHover',
  'background',
  'surface',
  'text',
  'mutedText',
  'border',
  'danger',
  'success',
  'focus',
] as const;
export type PaletteRole = (typeof PALETTE_ROLES)[number];

/** Every role's colour as lowercase `#rrggbb`. */
export type Palette = Record<PaletteRole, string>;

export type ColorScheme = 'light' | 'dark';

/** The custom property of keyway.css each palette role sets. */
export const CSS_PROPERTY: Record<PaletteRole, string> = {
  primary: '--accent',
  onPrimary: '--accent-text',
  primaryHover: '--accent-hover',
  background: '--bg',
  surface: '--card',
  text: '--text',
  mutedText: '--muted',
  border: '--border',
  danger: '--danger',
  success: '--ok',
  focus: '--focus',
};

export const DEFAULT_PALETTES: Record<ColorScheme, Palette> = {
  light: {
    primary: '#1f4fd1',
    onPrimary: '#ffffff',
    primaryHover: '#173c9f',
    background: '#f3f4f7',
    surface: '#ffffff',
    text: '#1a1d24',
    mutedText: '#4a5160',
    border: '#c4c8d2',
    danger: '#b3261e',
    success: '#1b6b35',
    focus: '#b45c00',
  },
  dark: {
    primary: '#8fb0ff',
    onPrimary: '#0d1630',
    primaryHover: '#b3caff',
    background: '#14161b',
    surface: '#1e2128',
    text: '#eceef3',
    mutedText: '#b4bac6',
    border: '#5a6170',
    danger: '#ff9b93',
    success: '#8ad6a0',
    focus: '#ffb35c',
  },
};

const HEX = /^#[0-9a-f]{6}$/;

function declarations(palette: Palette, defaults: Palette): string {
  return PALETTE_ROLES.filter((role) => palette[role] !== defaults[role])
    .map((role) => {
      // Only validated `#rrggbb` values reach a stylesheet: nothing else could close the rule or the element.
      if (!HEX.test(palette[role])) throw new TypeError(`palette ${role} is not #rrggbb: ${palette[role]}`);
      return `${CSS_PROPERTY[role]}:${palette[role]}`;
    })
    .join(';');
}

/**
 * The custom properties that differ from keyway.css, for a `<style>` element after the stylesheet;
 * empty when both palettes are the defaults.
 */
export function themeCss(palettes: Record<ColorScheme, Palette>): string {
  const light = declarations(palettes.light, DEFAULT_PALETTES.light);
  const dark = declarations(palettes.dark, DEFAULT_PALETTES.dark);
  return [light ? `:root{${light}}` : '', dark ? `@media (prefers-color-scheme: dark){:root{${dark}}}` : ''].filter(Boolean).join('\n');
}
