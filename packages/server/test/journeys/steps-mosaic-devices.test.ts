// Device binding through the Mosaic steps with real services on both databases: Register Passkeys with Bind Device
// (the proof checked before anything is stored, hostile keys refused) and Known Device Status (the three outcomes,
// the single-use challenge, replays and expiry at both edges). The browser's WebCrypto key is played by node:crypto
// with the same encoding (P-256, SHA-256, r ‖ s).
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { DEVICE_PROOF_PREFIX } from '../../src/passkeys/device-key-proof.ts';
import { DEVICE_CHALLENGE_TTL_MS, knownDeviceStatusStep } from '../../src/journeys/steps/mosaic/known-device-status.ts';
import { registerPasskeysStep } from '../../src/journeys/steps/mosaic/register-passkeys.ts';
import type { CeremonyWorld } from '../passkeys/ceremony-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CTX, JourneyRun, outcomeOf, presented, RP_ID, STORE, stepWorld } from './steps-fixture.ts';

const REGISTER = { relyingPartyId: RP_ID, registrationPolicy: 'default', bindDevice: true, errorOutputVariable: 'error' };

/** A browser's device key: its public JWK, its RFC 7638 id, and signatures as WebCrypto makes them. */
class BrowserKey {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, string>;
  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    const { kty, crv, x, y } = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.jwk = { kty: kty!, crv: crv!, x: x!, y: y! };
  }
  id(): Promise<string> {
    return calculateJwkThumbprint(this.jwk as never, 'sha256');
  }
  sign(challenge: string): string {
    return sign('sha256', Buffer.from(DEVICE_PROOF_PREFIX + challenge), { key: this.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`device binding steps on ${kind}`, () => {
    let world: CeremonyWorld;
    before(async () => {
      world = await stepWorld(kind);
    });
    after(() => world.close());

    const devicesOf = (userId: string) => world.db.selectFrom('device_keys').selectAll().where('user_id', '=', userId).execute();
    const passkeysOf = (userId: string) => world.db.selectFrom('credentials').select('credential_id').where('user_id', '=', userId).execute();

    /** Registers a passkey with Bind Device for `userId`, the device proven by `key`. */
    async function bind(userId: string, key: BrowserKey): Promise<void> {
      const journey = new JourneyRun(world, { user: { storeName: STORE, userId } });
      const shown = presented(await journey.run(registerPasskeysStep, REGISTER, 'register'));
      const challenge = shown.data.device_binding.challenge as string;
      const credential = new SoftAuthenticator().register(shown.data.clientRequest, CTX);
      const result = await journey.submit(
        registerPasskeysStep,
        REGISTER,
        {
          clientResponseOptionId: 'client_input',
          data: { webauthn_encoded_result: credential, device_key: { publicKey: key.jwk, signature: key.sign(challenge) } },
        },
        'register',
      );
      assert.equal(outcomeOf(result), 'success', JSON.stringify(journey.vars.error));
    }

    test('Bind Device: the challenge is presented; a missing, private, foreign-curve or off-challenge proof fails and stores nothing; a good one binds key, user and passkey', async () => {
      const user = await world.createUser('binder');
      const journey = new JourneyRun(world, { user: { storeName: STORE, userId: user.id } });
      const shown = presented(await journey.run(registerPasskeysStep, REGISTER, 'register'));
      const challenge = shown.data.device_binding.challenge as string;
      assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(shown.data.device_binding.scope, `acme/${STORE}`);
      const credential = new SoftAuthenticator().register(shown.data.clientRequest, CTX);
      const key = new BrowserKey();
      const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
      const offCurve = { ...key.jwk, y: key.jwk.x };
      const defects: [string, unknown][] = [
        ['no device key', undefined],
        ['the private key sent along', { publicKey: { ...key.jwk, d: 'AAAA' }, signature: key.sign(challenge) }],
        ['P-384', { publicKey: other, signature: key.sign(challenge) }],
        ['a point off the curve', { publicKey: offCurve, signature: key.sign(challenge) }],
        ['a signature over another challenge', { publicKey: key.jwk, signature: key.sign('another') }],
        ['a signature that is not r ‖ s', { publicKey: key.jwk, signature: 'AAAA' }],
        ['__proto__ as the key', { publicKey: JSON.parse('{"__proto__": {"kty": "EC"}}'), signature: key.sign(challenge) }],
      ];
      for (const [defect, deviceKey] of defects) {
        const result = await journey.submit(
          registerPasskeysStep,
          REGISTER,
          {
            clientResponseOptionId: 'client_input',
            data: { webauthn_encoded_result: credential, ...(deviceKey === undefined ? {} : { device_key: deviceKey }) },
          },
          'register',
        );
        assert.equal(outcomeOf(result), 'failure', defect);
        assert.equal((journey.vars.error as { code: string }).code, 'DEVICE_KEY_INVALID', defect);
        assert.equal((await passkeysOf(user.id)).length, 0, `${defect}: no passkey`);
        assert.equal((await devicesOf(user.id)).length, 0, `${defect}: no device`);
      }
      const result = await journey.submit(
        registerPasskeysStep,
        REGISTER,
        {
          clientResponseOptionId: 'client_input',
          data: { webauthn_encoded_result: credential, device_key: { publicKey: key.jwk, signature: key.sign(challenge) } },
        },
        'register',
      );
      assert.equal(outcomeOf(result), 'success');
      const [device] = await devicesOf(user.id);
      assert.equal(device?.key_id, await key.id());
      assert.deepEqual(JSON.parse(device!.public_jwk), key.jwk);
      assert.equal(device?.credential_id, (await passkeysOf(user.id))[0]!.credential_id);
      assert.deepEqual(journey.at('_mosaic', 'boundDevice'), { id: device!.id, keyId: device!.key_id });
      const audit = await world.db.selectFrom('audit_events').selectAll().where('action', '=', 'device.bind').where('target_id', '=', device!.id).execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor, 'journey:test-journey');
    });

    test('Known Device Status: this user, another user, unknown; the challenge is single use, bound to its step, and expires', async () => {
      const alice = await world.createUser('kds-alice');
      const bob = await world.createUser('kds-bob');
      const key = new BrowserKey();
      await bind(alice.id, key);
      const keyId = await key.id();

      const anonymous = new JourneyRun(world);
      assert.deepEqual(await anonymous.run(knownDeviceStatusStep, {}, 'check'), { kind: 'end', result: 'rejection', code: 'USER_NOT_FOUND' });

      const check = async (userId: string, answer: (challenge: string) => Record<string, unknown>, edit?: (run: JourneyRun) => void) => {
        const run = new JourneyRun(world, { user: { storeName: STORE, userId } });
        const shown = presented(await run.run(knownDeviceStatusStep, {}, 'check'));
        assert.deepEqual(shown.options, ['client_input']);
        assert.equal(shown.data.scope, `acme/${STORE}`);
        edit?.(run);
        const input = { clientResponseOptionId: 'client_input', data: answer(shown.data.challenge as string) };
        const result = await run.submit(knownDeviceStatusStep, {}, input, 'check');
        assert.equal(run.at('_mosaic', 'deviceChallenges', 'check'), null, 'the challenge is consumed, whatever the answer');
        return { result, run, input };
      };
      const proof = (k: BrowserKey, id: string) => (challenge: string) => ({ challenge, device_key_id: id, signature: k.sign(challenge) });

      const known = await check(alice.id, proof(key, keyId));
      assert.equal(outcomeOf(known.result), 'knownForThisUser');
      assert.deepEqual(known.run.vars.deviceStatus, { status: 'knownForThisUser', keyId });
      assert.notEqual((await devicesOf(alice.id))[0]!.last_seen_at, null);

      assert.equal(outcomeOf((await check(bob.id, proof(key, keyId))).result), 'knownForAnotherUser');
      assert.equal(outcomeOf((await check(alice.id, () => ({}))).result), 'unknown', 'no key');
      const stranger = new BrowserKey();
      assert.equal(outcomeOf((await check(alice.id, proof(stranger, await stranger.id()))).result), 'unknown', 'a key never bound');
      assert.equal(outcomeOf((await check(alice.id, proof(stranger, keyId))).result), 'unknown', 'the bound key’s id, another key’s signature');

      // The same answer again to the same step: its challenge is gone.
      const replay = await known.run.submit(knownDeviceStatusStep, {}, known.input, 'check');
      assert.deepEqual({ ...replay, updates: undefined }, { kind: 'end', result: 'rejection', code: 'DEVICE_CHALLENGE_INVALID', updates: undefined });
      // A proof over another instance's challenge.
      const foreign = await check(alice.id, () => known.input.data);
      assert.equal(foreign.result.kind, 'end');
      assert.equal((foreign.result as { code: string }).code, 'DEVICE_CHALLENGE_INVALID');

      // Expiry, at both edges of the window (the step reads the real clock: a second of margin either side).
      const age = (ms: number) => (run: JourneyRun) => {
        const pending = run.at('_mosaic', 'deviceChallenges', 'check') as { issuedAt: number };
        pending.issuedAt = Date.now() - ms;
      };
      assert.equal(outcomeOf((await check(alice.id, proof(key, keyId), age(DEVICE_CHALLENGE_TTL_MS - 1000))).result), 'knownForThisUser');
      const expired = await check(alice.id, proof(key, keyId), age(DEVICE_CHALLENGE_TTL_MS + 1000));
      assert.equal((expired.result as { code: string }).code, 'DEVICE_CHALLENGE_INVALID');

      // Revoked: unknown.
      await world.server.services.devices.revoke(
        { tenantId: 'acme', actor: 'test' },
        { storeName: STORE, userId: alice.id, deviceId: (await devicesOf(alice.id))[0]!.id },
      );
      assert.equal(outcomeOf((await check(alice.id, proof(key, keyId))).result), 'unknown');
    });
  });
}
