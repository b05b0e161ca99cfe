// Runs in a worker thread of its own (attestation-statement-clock.ts): the global clock is pinned
// to `workerData.instant` before @simplewebauthn/server is loaded, so its certificate validity
// checks see that instant, and nothing outside this thread does.
import { parentPort, workerData } from 'node:worker_threads';

const { instant, options, formats } = workerData as { instant: number; options: Record<string, unknown>; formats: string[] };
const SystemDate = Date;
class PinnedDate extends SystemDate {
  constructor(...args: ConstructorParameters<DateConstructor> | []) {
    if (args.length === 0) super(instant);
    else super(...(args as ConstructorParameters<DateConstructor>));
  }
  static override now(): number {
    return instant;
  }
}
globalThis.Date = PinnedDate as DateConstructor;

const { SettingsService, verifyRegistrationResponse } = await import('@simplewebauthn/server');
// As in the main thread (attestation-trust.ts): no library trust anchors; Keyway judges chains.
for (const identifier of formats) SettingsService.setRootCertificates({ identifier: identifier as 'packed', certificates: [] });
try {
  const result = await verifyRegistrationResponse(options as unknown as Parameters<typeof verifyRegistrationResponse>[0]);
  parentPort!.postMessage({ verified: result.verified && result.registrationInfo !== undefined });
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
