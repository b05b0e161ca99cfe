// The software authenticator lives in src (journey dry-runs answer passkey steps with it); tests keep importing it from here.
export * from '../../src/passkeys/soft-authenticator.ts';
