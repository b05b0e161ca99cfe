// @keyway/web: the browser SDK for Keyway's self-service API. Zero runtime dependencies.
export { displayNameOf, Keyway } from './keyway.ts';
export type {
  BoundDevice,
  BoundDeviceList,
  CurrentSession,
  DisownedEmail,
  EmailVerificationDetails,
  KeywayOptions,
  KeywayUser,
  Passkey,
  PasskeyList,
  RecoveryDetails,
  RegistrationResult,
  SignInResult,
} from './keyway.ts';
export {
  KeywayCancelledError,
  KeywayCredentialExistsError,
  KeywayNetworkError,
  KeywayNotAllowedError,
  KeywayServerError,
  KeywayUnsupportedError,
  KeywayWebError,
} from './errors.ts';
export type { KeywayWebErrorCode, Problem } from './errors.ts';
export { clientCapabilities, isAutofillAvailable, isPlatformAuthenticatorAvailable, isWebAuthnAvailable } from './capabilities.ts';
export { signalAllAcceptedCredentials, signalCurrentUserDetails, signalUnknownCredential, supportedSignals } from './signals.ts';
export { credentialToJSON, parseCreationOptions, parseRequestOptions } from './webauthn-json.ts';
export type { CredentialJSON } from './webauthn-json.ts';
export { fromBase64Url, toBase64Url } from './base64url.ts';
