// Language and colour scheme, reachable from every screen (signed in or not).
import { useState } from 'react';
import { LOCALES, useI18n, type Locale } from '../i18n/i18n.tsx';
import { applyTheme, savedTheme, THEMES, type Theme } from '../theme.ts';
import { SelectField } from '../ui/controls.tsx';

const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch' };

export function Preferences() {
  const { locale, setLocale, t } = useI18n();
  const [theme, setTheme] = useState<Theme>(savedTheme);
  return (
    <div className="preferences">
      <SelectField<Locale>
        className="field-compact"
        label={t('prefs.language')}
        value={locale}
        onChange={setLocale}
        options={LOCALES.map((id) => ({ id, label: LANGUAGE_NAMES[id] }))}
      />
      <SelectField<Theme>
        className="field-compact"
        label={t('prefs.theme')}
        value={theme}
        onChange={(next) => {
          applyTheme(next);
          setTheme(next);
        }}
        options={THEMES.map((id) => ({ id, label: t(`prefs.theme.${id}`) }))}
      />
    </div>
  );
}
