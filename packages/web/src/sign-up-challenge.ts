// The sign-up challenge a store may ask for (its self-hosted CAPTCHA, a proof of work in the ALTCHA format): find the
// number whose SHA-256 after the salt is the challenge, with WebCrypto, and answer the payload the server checks.

export interface SignUpChallenge {
  algorithm: 'SHA-256';
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** Tries 0…maxnumber (tens of thousands of hashes: a moment); answers base64 of {algorithm, challenge, number, salt, signature}. */
export async function solveSignUpChallenge(challenge: SignUpChallenge, signal?: AbortSignal): Promise<string> {
  const encoder = new TextEncoder();
  for (let number = 0; number <= challenge.maxnumber; number++) {
    if (number % 1000 === 0) signal?.throwIfAborted();
    const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${challenge.salt}${number}`));
    if (hex(digest) === challenge.challenge) {
      const { algorithm, salt, signature } = challenge;
      return btoa(JSON.stringify({ algorithm, challenge: challenge.challenge, number, salt, signature }));
    }
  }
  throw new Error('The sign-up challenge has no solution');
}
