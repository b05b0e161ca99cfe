// The custom forms of the TrustX passkey processes, verbatim, for the forms, pages and TrustX step tests.

/** TrustX “Configure the Registration Form”: userName and displayName, required, persisted, a continue button. */
export const SEED_REGISTRATION_FORM = {
  title: { values: { en: 'Title' }, isValid: true, type: 'title' },
  components: [
    {
      type: 'text',
      isValid: true,
      readOnly: false,
      id: 'userName',
      label: { values: { en: 'User Name' } },
      default: '',
      transient: false,
      validate: {
        required: true,
        minLength: '',
        maxLength: '',
        missingMessage: { values: { en: '' } },
        invalidMessage: { values: { en: '' } },
        invalidLengthMessage: { values: { en: '' } },
      },
      index: 0,
    },
    {
      type: 'text',
      isValid: true,
      readOnly: false,
      id: 'displayName',
      label: { values: { en: 'Display Name' } },
      default: '',
      transient: false,
      validate: {
        required: true,
        minLength: '',
        maxLength: '',
        missingMessage: { values: { en: '' } },
        invalidMessage: { values: { en: '' } },
        invalidLengthMessage: { values: { en: '' } },
      },
      index: 1,
    },
  ],
  continueButton: { isValid: true, type: 'continueButton', values: { en: 'Continue' } },
};

/** TrustX “Configure the Authentication Form”: name and displayName, required and transient, a submit button. */
export const SEED_AUTHENTICATION_FORM = {
  title: { values: { en: 'AUTHENTICATION' }, isValid: true, type: 'title' },
  components: [
    {
      type: 'text',
      isValid: true,
      readOnly: false,
      id: 'name',
      label: { values: { en: 'Name' } },
      default: '',
      transient: true,
      validate: {
        required: true,
        minLength: '',
        maxLength: '',
        missingMessage: { values: { en: '' } },
        invalidMessage: { values: { en: '' } },
        invalidLengthMessage: { values: { en: '' } },
      },
      index: 0,
    },
    {
      type: 'text',
      isValid: true,
      readOnly: false,
      id: 'displayName',
      label: { values: { en: 'Display Name' } },
      default: '',
      transient: true,
      validate: {
        required: true,
        minLength: '',
        maxLength: '',
        missingMessage: { values: { en: '' } },
        invalidMessage: { values: { en: '' } },
        invalidLengthMessage: { values: { en: '' } },
      },
      index: 1,
    },
  ],
  submitButton: { type: 'submitButton', isValid: true, values: { en: 'Submit for Authentication' } },
};

/** The TrustX processes' retry form after “User cancelled”: a title and a paragraph, no button. */
export const SEED_RETRY_FORM = {
  title: { values: { en: 'User cancelled the process' }, isValid: true, type: 'title' },
  components: [
    {
      isValid: true,
      type: 'paragraph',
      id: 'paragraph',
      label: { values: { en: '' } },
      values: { en: 'User cancel error happened - please try again' },
      index: 0,
    },
  ],
};

/** A form with every rule and bilingual messages. */
export const PROFILE_FORM = {
  title: { values: { en: 'Your profile', de: 'Ihr Profil' }, type: 'title' },
  components: [
    {
      type: 'text',
      id: 'nickname',
      label: { values: { en: 'Nickname', de: 'Spitzname' } },
      transient: false,
      index: 0,
      validate: {
        required: true,
        minLength: '3',
        maxLength: 12,
        missingMessage: { values: { en: 'Please choose a nickname', de: 'Bitte einen Spitznamen wählen' } },
        invalidLengthMessage: { values: { en: '{label}: {min}-{max} characters', de: '' } },
      },
    },
    { type: 'email', id: 'email', label: { values: { en: 'E-mail', de: 'E-Mail' } }, index: 1, validate: { required: false, maxLength: 254 } },
    {
      type: 'text',
      id: 'secret',
      label: { values: { en: 'One-time code' } },
      transient: true,
      index: 2,
      validate: { required: true, minLength: 6, maxLength: 6 },
    },
    { type: 'text', id: 'plan', label: { values: { en: 'Plan' } }, readOnly: true, default: 'basic', index: 3 },
    {
      type: 'paragraph',
      id: 'note',
      label: { values: { en: '' } },
      values: { en: 'We never share your data.', de: 'Wir geben Ihre Daten nie weiter.' },
      index: 4,
    },
  ],
  submitButton: { type: 'submitButton', values: { en: 'Save', de: 'Speichern' } },
};

const texts = (en: string, de: string) => ({ values: { en, de } });
/** A 1×1 transparent PNG. */
export const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** Every element type beyond text, e-mail and paragraph, each with its rules; own messages on some, Keyway's on the others. */
export const ELEMENTS_FORM = {
  title: { values: { en: 'About you', de: 'Über Sie' }, type: 'title' },
  components: [
    { type: 'image', id: 'logo', src: PIXEL, alt: texts('Company logo', 'Firmenlogo'), index: 0 },
    {
      type: 'notification',
      id: 'info',
      severity: 'warning',
      label: texts('Note', 'Hinweis'),
      values: { en: 'We check every answer.', de: 'Wir prüfen jede Antwort.' },
      index: 1,
    },
    {
      type: 'select',
      id: 'country',
      label: texts('Country', 'Land'),
      options: [
        { value: 'DE', label: texts('Germany', 'Deutschland') },
        { value: 'FR', label: texts('France', 'Frankreich') },
      ],
      validate: { required: true },
      index: 2,
    },
    {
      type: 'radio',
      id: 'plan',
      label: texts('Plan', 'Tarif'),
      options: [
        { value: 'basic', label: texts('Basic', 'Basis') },
        { value: 'pro', label: texts('Pro', 'Pro') },
      ],
      validate: { required: true, missingMessage: texts('Pick a {label}.', 'Bitte einen {label} wählen.') },
      index: 3,
    },
    { type: 'checkbox', id: 'terms', label: texts('I accept the terms', 'Ich akzeptiere die Bedingungen'), validate: { required: true }, index: 4 },
    { type: 'checkbox', id: 'newsletter', label: texts('Newsletter', 'Newsletter'), index: 5 },
    {
      type: 'date',
      id: 'birthday',
      label: texts('Birthday', 'Geburtstag'),
      validate: { required: true, min: '1900-01-01', max: '2010-12-31' },
      index: 6,
    },
    { type: 'date', id: 'start', label: texts('Start', 'Beginn'), validate: { min: '2026-01-01', max: '' }, index: 7 },
    { type: 'phone', id: 'mobile', label: texts('Mobile', 'Mobilnummer'), validate: { required: false }, index: 8 },
    {
      type: 'number',
      id: 'seats',
      label: texts('Seats', 'Plätze'),
      validate: { min: 1, max: '50', outOfRangeMessage: texts('{label}: {min}–{max}.', '') },
      index: 9,
    },
    { type: 'number', id: 'budget', label: texts('Budget', 'Budget'), validate: { max: 1000 }, index: 10 },
    {
      type: 'text',
      id: 'postcode',
      label: texts('Postcode', 'Postleitzahl'),
      validate: { pattern: '[0-9]{5}', invalidMessage: texts('{label}: five digits.', '{label}: fünf Ziffern.') },
      index: 11,
    },
  ],
  submitButton: { type: 'submitButton', values: { en: 'Send', de: 'Senden' } },
};

/** Values ELEMENTS_FORM accepts. */
export const ELEMENTS_VALID = {
  country: 'DE',
  plan: 'pro',
  terms: 'true',
  newsletter: 'false',
  birthday: '1990-05-17',
  start: '',
  mobile: '+49 (30) 123-4567',
  seats: '12',
  budget: '-3.5',
  postcode: '10115',
};
