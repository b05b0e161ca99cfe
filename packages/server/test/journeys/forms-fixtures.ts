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
