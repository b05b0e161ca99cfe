import { Type, type Static } from '@sinclair/typebox';
import { MAX_LOGO_BYTES } from './logo-rules.ts';

/**
 * A store's branding as the admin API reads and writes it. Colours, the logo and the languages are
 * checked by branding-rules.ts (each with its own error code), not by the schema, so a refusal names
 * exactly what is wrong with the value.
 */

const Colour = (description: string) => Type.String({ minLength: 1, maxLength: 32, description: `${description}: #rgb or #rrggbb`, examples: ['#0b6e4f'] });

export const PaletteBody = Type.Object(
  {
    primary: Type.Optional(Colour('Buttons, links and the focus of controls')),
    onPrimary: Type.Optional(Colour('Text on primary buttons (default: black or white, whichever reads better)')),
    background: Type.Optional(Colour('The page behind the card')),
    surface: Type.Optional(Colour('The card and inputs')),
    text: Type.Optional(Colour('Body text')),
    mutedText: Type.Optional(Colour('Hints, the product name and secondary text')),
    border: Type.Optional(Colour('The card’s and the dividers’ lines (decorative)')),
    danger: Type.Optional(Colour('Error messages and destructive buttons')),
    success: Type.Optional(Colour('Confirmations')),
    focus: Type.Optional(Colour('The keyboard focus ring')),
  },
  { additionalProperties: false, description: 'Colours of one colour scheme; an absent one keeps Keyway’s' },
);

export const BrandingBody = Type.Object(
  {
    productName: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Shown in the header and the window title of the hosted pages (default: the store’s display name)',
      }),
    ),
    logo: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64 * 1024,
        description: `An https URL, or a data: URL of a PNG, JPEG, GIF or WebP image of at most ${MAX_LOGO_BYTES} bytes (SVG only by https: an inline SVG can carry script). Shown beside the product name.`,
      }),
    ),
    primaryColor: Type.Optional(
      Colour('The brand colour: buttons and links in the light scheme, and (lightened until it reads on the dark card) in the dark scheme'),
    ),
    palettes: Type.Optional(
      Type.Object(
        { light: Type.Optional(PaletteBody), dark: Type.Optional(PaletteBody) },
        { additionalProperties: false, description: 'Per-scheme colours; they take precedence over primaryColor' },
      ),
    ),
    languages: Type.Optional(
      Type.Object(
        {
          offered: Type.Array(Type.String({ maxLength: 16 }), {
            minItems: 1,
            maxItems: 16,
            description: 'Languages the pages offer, in the switcher’s order: a subset of en, de, fr, es',
          }),
          default: Type.String({ maxLength: 16, description: 'Used when the browser asks for none of the offered languages; one of them' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BrandingInput = Static<typeof BrandingBody>;

const PaletteSchema = Type.Object({
  primary: Type.String(),
  onPrimary: Type.String(),
  primaryHover: Type.String(),
  background: Type.String(),
  surface: Type.String(),
  text: Type.String(),
  mutedText: Type.String(),
  border: Type.String(),
  danger: Type.String(),
  success: Type.String(),
  focus: Type.String(),
});

export const BrandingSchema = Type.Object({
  productName: Type.Optional(Type.String()),
  logo: Type.Optional(Type.String()),
  primaryColor: Type.Optional(Type.String()),
  palettes: Type.Optional(
    Type.Object({ light: Type.Optional(Type.Record(Type.String(), Type.String())), dark: Type.Optional(Type.Record(Type.String(), Type.String())) }),
  ),
  languages: Type.Optional(Type.Object({ offered: Type.Array(Type.String()), default: Type.String() })),
  effective: Type.Object(
    {
      productName: Type.String(),
      light: PaletteSchema,
      dark: PaletteSchema,
      languages: Type.Object({ offered: Type.Array(Type.String()), default: Type.String() }),
    },
    {
      description:
        'What the pages show: the settings over Keyway’s defaults, with the colours Keyway derived (onPrimary, hover, the dark variant of primaryColor)',
    },
  ),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while the store has Keyway’s default branding' }),
});
