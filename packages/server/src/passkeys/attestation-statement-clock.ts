import { Worker } from 'node:worker_threads';
import type { verifyRegistrationResponse } from '@simplewebauthn/server';
import { LIBRARY_FORMATS } from './attestation-trust.ts';
import { X509Certificate } from './certificate-chain.ts';
import { serverPackagePath } from '../shared/server-package-dir.ts';

/**
 * @simplewebauthn/server judges attestation certificates' validity periods by the process clock and
 * refuses the whole statement when one is outside it (packed and TPM leaves; android-key's whole
 * path), while other formats (apple, fido-u2f) leave validity alone. For Keyway a certificate's
 * validity is a trust decision taken at the ceremony's (injected) clock, the same for every format:
 * a statement whose certificates are expired or not yet valid at that clock verifies as a statement
 * and is simply not trusted (assessAttestation, then the policy's requireTrustedAttestation).
 *
 * So when the library refuses for validity alone, Keyway runs its statement verification once more
 * in a worker thread whose clock is pinned to an instant inside every x5c certificate's validity.
 * The library then checks signatures and format rules exactly as usual; the clock of every other
 * request is untouched. Certificates without any common valid instant cannot form a path at any
 * time and stay refused.
 */

type RegistrationOptions = Parameters<typeof verifyRegistrationResponse>[0];

/** The library's messages for a certificate outside its validity period (packed, TPM, and its path validation). */
const VALIDITY_REFUSAL =
  /^Certificate not good (before|after) ".*" \((Packed\|Full|TPM)\)$|^Certificate is not yet valid or expired \(Android Key\)$|^No specified trust anchor was valid for verifying x5c \(Android Key\)$/;

export function isCertificateValidityRefusal(error: unknown): boolean {
  return error instanceof Error && VALIDITY_REFUSAL.test(error.message);
}

/** The latest notBefore of the certificates, when it is inside all of their validity periods. */
export function instantInsideValidity(x5c: unknown): Date | undefined {
  if (!Array.isArray(x5c) || x5c.length === 0) return undefined;
  let notBefore = -Infinity;
  let notAfter = Infinity;
  for (const der of x5c) {
    if (!(der instanceof Uint8Array)) return undefined;
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(new Uint8Array(der));
    } catch {
      return undefined;
    }
    notBefore = Math.max(notBefore, certificate.notBefore.getTime());
    notAfter = Math.min(notAfter, certificate.notAfter.getTime());
  }
  return notBefore <= notAfter ? new Date(notBefore) : undefined;
}

/** A worker that has not answered by then has failed; the statement is then refused. */
const WORKER_TIMEOUT_MS = 10_000;
/** One worker at a time: a flood of such statements (from public sign-up, say) costs one thread, not one each. */
let queue: Promise<unknown> = Promise.resolve();

function runWorker(options: RegistrationOptions, instant: Date): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(serverPackagePath('src', 'passkeys', 'attestation-statement-clock-worker.ts'), {
      workerData: { instant: instant.getTime(), options, formats: [...LIBRARY_FORMATS] },
    });
    const timer = setTimeout(() => {
      reject(new Error('the attestation statement could not be verified in time'));
      void worker.terminate();
    }, WORKER_TIMEOUT_MS);
    worker.once('message', (message: { verified?: boolean; error?: string }) => {
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.verified === true);
      void worker.terminate();
    });
    worker.once('error', reject);
    // After an answer this changes nothing; without one (the thread died), the statement is refused.
    worker.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('the attestation statement could not be verified'));
    });
  });
}

/** The library's registration verification at `instant`: whether the statement verifies, or the library's own error. */
export function verifyRegistrationAt(options: RegistrationOptions, instant: Date): Promise<boolean> {
  const run = queue.then(() => runWorker(options, instant));
  queue = run.catch(() => undefined);
  return run;
}
