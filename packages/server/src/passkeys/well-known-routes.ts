import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Services } from '../services.ts';
import { webOrigins } from './origin-rules.ts';
import type { RelyingParty } from './passkey-config.ts';

export interface WellKnownRoutesOptions {
  services: Services;
}

const CACHE_CONTROL = 'public, max-age=300';

const RELATED_ORIGINS = Type.Object({ origins: Type.Array(Type.String()) });
const ASSET_LINKS = Type.Array(
  Type.Object({
    relation: Type.Array(Type.String()),
    target: Type.Object({
      namespace: Type.String(),
      site: Type.Optional(Type.String()),
      package_name: Type.Optional(Type.String()),
      sha256_cert_fingerprints: Type.Optional(Type.Array(Type.String())),
    }),
  }),
);
const APPLE_APP_SITE_ASSOCIATION = Type.Object({ webcredentials: Type.Object({ apps: Type.Array(Type.String()) }) });

const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** WebAuthn L3 §5.11.1: the origins allowed to use this RP ID, as the browser fetches them from https://{rpId}/.well-known/webauthn. */
function relatedOriginsDocument(rps: readonly RelyingParty[]) {
  return { origins: unique(rps.flatMap((rp) => [...rp.relatedOrigins, ...webOrigins(rp.origins)])) };
}

/**
 * Digital Asset Links: each Android app may use (and open links for) this site's credentials, and
 * the site's web origins share them. Android's Credential Manager checks `get_login_creds`.
 */
function assetLinksDocument(rps: readonly RelyingParty[]) {
  const fingerprints = new Map<string, Set<string>>();
  for (const app of rps.flatMap((rp) => rp.androidApps)) {
    const set = fingerprints.get(app.packageName) ?? new Set<string>();
    for (const fingerprint of app.sha256CertFingerprints) set.add(fingerprint.toUpperCase());
    fingerprints.set(app.packageName, set);
  }
  const apps = [...fingerprints].map(([packageName, set]) => ({
    relation: ['delegate_permission/common.handle_all_urls', 'delegate_permission/common.get_login_creds'],
    target: { namespace: 'android_app', package_name: packageName, sha256_cert_fingerprints: [...set] },
  }));
  const sites = unique(rps.flatMap((rp) => webOrigins(rp.origins))).map((site) => ({
    relation: ['delegate_permission/common.get_login_creds'],
    target: { namespace: 'web', site },
  }));
  return [...apps, ...sites];
}

/** Apple's associated domains file: the apps whose passkeys (webcredentials) this domain vouches for. */
function appleAppSiteAssociationDocument(rps: readonly RelyingParty[]) {
  return { webcredentials: { apps: unique(rps.flatMap((rp) => rp.appleAppIds)) } };
}

/**
 * The well-known files of an RP ID, chosen by the request's host (without port): the host is the
 * RP ID the browser or the mobile OS is asking about. When several stores of one tenant configure
 * the same RP ID, their entries are merged; several tenants never are. Public, cacheable, no token.
 */
export async function wellKnownRoutes(fastify: FastifyInstance, { services }: WellKnownRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['well-known'];
  const errors = ['RELYING_PARTY_NOT_FOUND' as const];

  async function relyingPartiesFor(request: FastifyRequest, reply: FastifyReply): Promise<RelyingParty[]> {
    const host = request.hostname.toLowerCase();
    const rps = await services.relyingParties.findAllByRpId(host);
    if (rps.length === 0) throw new KeywayError('RELYING_PARTY_NOT_FOUND', `No relying party is configured for the host ${host}`);
    reply.header('cache-control', CACHE_CONTROL);
    return rps;
  }

  app.get(
    '/.well-known/webauthn',
    {
      schema: {
        operationId: 'getWebauthnRelatedOrigins',
        tags,
        summary: 'Related origins of the RP ID named by the Host header (WebAuthn L3 §5.11)',
        response: { 200: RELATED_ORIGINS },
      },
      config: { errors },
    },
    async (request, reply) => relatedOriginsDocument(await relyingPartiesFor(request, reply)),
  );

  app.get(
    '/.well-known/assetlinks.json',
    {
      schema: {
        operationId: 'getAndroidAssetLinks',
        tags,
        summary: 'Digital Asset Links of the RP ID named by the Host header (Android apps sharing its passkeys)',
        response: { 200: ASSET_LINKS },
      },
      config: { errors },
    },
    async (request, reply) => assetLinksDocument(await relyingPartiesFor(request, reply)),
  );

  app.get(
    '/.well-known/apple-app-site-association',
    {
      schema: {
        operationId: 'getAppleAppSiteAssociation',
        tags,
        summary: 'Apple associated domains (webcredentials) of the RP ID named by the Host header',
        response: { 200: APPLE_APP_SITE_ASSOCIATION },
      },
      config: { errors },
    },
    async (request, reply) => {
      const document = appleAppSiteAssociationDocument(await relyingPartiesFor(request, reply));
      // The file has no extension; Apple requires it to be served as JSON.
      return reply.type('application/json').send(document);
    },
  );
}
