/**
 * Every permission a route can require, as `Service:action` (a caller needs
 * `TNT#{tenant}#Service:action`, or a wildcard covering it). The record is closed: a route's
 * `config.permission` must be one of its keys (the type checker refuses anything else), and
 * `test/foundation/permission-catalogue.test.ts` checks that every protected route declares one,
 * that OpenAPI shows it, and that every entry here is used by some route.
 */
export const PERMISSION_CATALOGUE = {
  // API clients and signing keys
  'Admin:createApiClient': { description: 'Create an API client holding a subset of the caller’s permissions' },
  'Admin:listApiClients': { description: 'List the tenant’s API clients' },
  'Admin:getApiClient': { description: 'Read an API client' },
  'Admin:updateApiClient': { description: 'Rename, re-permission, enable or disable an API client the caller covers' },
  'Admin:rotateApiClientSecret': { description: 'Rotate the secret of an API client the caller covers' },
  'Admin:deleteApiClient': { description: 'Delete an API client the caller covers' },
  'Admin:listSigningKeys': { description: 'List the tenant’s ID-token signing keys' },
  'Admin:rotateSigningKey': { description: 'Rotate the tenant’s ID-token signing key' },
  'Audit:listEvents': { description: 'Read the audit log' },

  // The console's operators and its overview
  'Console:listOperators': { description: 'List the console’s operators' },
  'Console:createInvitation': { description: 'Create a one-time enrolment link for a new operator (an owner’s only with TNT#{tenant}#*)' },
  'Console:listInvitations': { description: 'List the unused enrolment links: role, who made them, when they expire (not the links themselves)' },
  'Console:revokeInvitation': { description: 'Revoke an unused enrolment link of a role the caller may grant (an owner’s only with TNT#{tenant}#*)' },
  'Console:updateOperator': { description: 'Change an operator’s role (to or from owner only with TNT#{tenant}#*)' },
  'Console:deleteOperator': { description: 'Remove an operator (an owner only with TNT#{tenant}#*)' },
  'Console:getOverview': { description: 'Read the tenant’s statistics: users, passkeys, sign-ins, registrations, failures' },

  // Identity stores and users
  'IdentityStore:createStore': { description: 'Create an identity store' },
  'IdentityStore:listStores': { description: 'List identity stores' },
  'IdentityStore:getStore': { description: 'Read an identity store (including its branding)' },
  'IdentityStore:updateStore': { description: 'Update an identity store (including its self-service settings and branding)' },
  'IdentityStore:deleteStore': { description: 'Delete an empty identity store' },
  'IdentityStore:createUser': { description: 'Add a user' },
  'IdentityStore:listUsers': { description: 'List and search users' },
  'IdentityStore:getUser': { description: 'Read a user by id (also needed to start a journey naming that user)' },
  'IdentityStore:getUserByExtId': { description: 'Read a user by external id (also needed to start a journey naming that user)' },
  'IdentityStore:updateUser': { description: 'Update a user by id' },
  'IdentityStore:updateUserByExtId': { description: 'Update a user by external id' },
  'IdentityStore:deleteUser': { description: 'Delete a user by id' },
  'IdentityStore:deleteUserByExtId': { description: 'Delete a user by external id' },
  'IdentityStore:listUserSessions': { description: 'List a user’s self-service browser sessions' },
  'IdentityStore:revokeUserSession': { description: 'End a user’s self-service browser session' },
  'IdentityStore:createRecoveryLink': { description: 'Create an account recovery link for a user' },
  'IdentityStore:revokeRecoveryLinks': { description: 'Revoke a user’s outstanding account recovery links' },

  // Organizations (B2B) of a store, their members and e-mail domains
  'IdentityStore:createOrganization': { description: 'Create an organization' },
  'IdentityStore:listOrganizations': { description: 'List organizations' },
  'IdentityStore:getOrganization': { description: 'Read an organization and its sign-in policy' },
  'IdentityStore:updateOrganization': { description: 'Rename an organization or change its sign-in policy' },
  'IdentityStore:deleteOrganization': { description: 'Delete an organization with its memberships and domains' },
  'IdentityStore:listOrganizationMembers': { description: 'List an organization’s members and their roles' },
  'IdentityStore:addOrganizationMember': { description: 'Add a user of the store to an organization' },
  'IdentityStore:updateOrganizationMember': { description: 'Change a member’s roles' },
  'IdentityStore:removeOrganizationMember': { description: 'Remove a member from an organization' },
  'IdentityStore:listOrganizationDomains': { description: 'List an organization’s e-mail domains' },
  'IdentityStore:manageOrganizationDomains': { description: 'Claim or give up an e-mail domain for an organization' },
  'IdentityStore:verifyOrganizationDomain': { description: 'Mark an organization’s claimed domain verified' },

  // Passkey configuration and a user's passkeys
  'IdentityStore:createRelyingParty': { description: 'Create a relying party' },
  'IdentityStore:listRelyingParties': { description: 'List relying parties' },
  'IdentityStore:getRelyingParty': { description: 'Read a relying party' },
  'IdentityStore:updateRelyingParty': { description: 'Update a relying party' },
  'IdentityStore:deleteRelyingParty': { description: 'Delete a relying party' },
  'IdentityStore:createRegistrationPolicy': { description: 'Create a registration policy' },
  'IdentityStore:listRegistrationPolicies': { description: 'List registration policies' },
  'IdentityStore:getRegistrationPolicy': { description: 'Read a registration policy' },
  'IdentityStore:updateRegistrationPolicy': { description: 'Update a registration policy' },
  'IdentityStore:deleteRegistrationPolicy': { description: 'Delete a registration policy' },
  'IdentityStore:createAuthenticationPolicy': { description: 'Create an authentication policy' },
  'IdentityStore:listAuthenticationPolicies': { description: 'List authentication policies' },
  'IdentityStore:getAuthenticationPolicy': { description: 'Read an authentication policy' },
  'IdentityStore:updateAuthenticationPolicy': { description: 'Update an authentication policy' },
  'IdentityStore:deleteAuthenticationPolicy': { description: 'Delete an authentication policy' },
  'IdentityStore:listPasskeys': { description: 'List a user’s passkeys' },
  'IdentityStore:getPasskey': { description: 'Read one of a user’s passkeys' },
  'IdentityStore:updatePasskey': { description: 'Rename or enable/disable one of a user’s passkeys' },
  'IdentityStore:deletePasskey': { description: 'Delete one of a user’s passkeys' },
  'IdentityStore:listDevices': { description: 'List a user’s bound devices (device binding)' },
  'IdentityStore:revokeDevice': { description: 'Revoke one of a user’s bound devices' },

  // Passkey ceremonies (the names TrustX gives them)
  'IdentityStore:createPasskeyRegistrationForUser': { description: 'Start and complete a passkey registration for a user named by id' },
  'IdentityStore:createPasskeyRegistrationForUserByExtId': { description: 'Start a passkey registration for a user named by external id' },
  'IdentityStore:createPasskeyAuthenticationForUser': { description: 'Start and complete a passkey authentication for a user named by id' },
  'IdentityStore:createPasskeyAuthenticationForUserByExtId': { description: 'Start a passkey authentication for a user named by external id' },

  // Journeys, custom forms and custom pages
  'Journeys:create': { description: 'Create a journey' },
  'Journeys:list': { description: 'List journeys' },
  'Journeys:get': { description: 'Read a journey and its draft' },
  'Journeys:updateDraft': { description: 'Edit a journey’s draft' },
  'Journeys:validate': { description: 'Validate a journey definition' },
  'Journeys:publish': {
    description:
      'Publish a journey’s draft as a new version (a definition whose steps register passkeys for, start sign-ins for or add users it names also needs the IdentityStore permissions of those acts)',
  },
  'Journeys:delete': { description: 'Delete a journey' },
  'Journeys:listVersions': { description: 'List a journey’s published versions' },
  'Journeys:getVersion': { description: 'Read a published journey version' },
  'Journeys:listInstances': { description: 'List a journey’s running and finished instances' },
  'Journeys:listStepTypes': { description: 'List the step types journeys can use' },
  'Journeys:installTemplates': { description: 'Install the journey templates (as a publish: also the IdentityStore permissions of what they do to users)' },
  'Journeys:start': {
    description:
      'Start any published journey as an API client (naming a user also needs the permission to read that user, and those of the passkey registrations and sign-ins the journey starts for them)',
  },
  'Journeys:createForm': { description: 'Create a custom form' },
  'Journeys:listForms': { description: 'List custom forms' },
  'Journeys:getForm': { description: 'Read a custom form and its versions' },
  'Journeys:validateForm': { description: 'Validate a custom form' },
  'Journeys:createFormVersion': { description: 'Add a draft version to a custom form' },
  'Journeys:updateFormVersion': { description: 'Edit a draft version of a custom form' },
  'Journeys:publishForm': { description: 'Publish a version of a custom form' },
  'Journeys:createPage': { description: 'Create a custom page' },
  'Journeys:listPages': { description: 'List custom pages' },
  'Journeys:getPage': { description: 'Read a custom page and its versions' },
  'Journeys:validatePage': { description: 'Validate a custom page' },
  'Journeys:createPageVersion': { description: 'Add a draft version to a custom page' },
  'Journeys:updatePageVersion': { description: 'Edit a draft version of a custom page' },
  'Journeys:publishPage': { description: 'Publish a version of a custom page' },

  // OpenID Connect clients of the tenant's OpenID Provider
  'Oidc:createClient': { description: 'Register an OpenID Connect client (its secret is shown once)' },
  'Oidc:listClient': { description: 'List the OpenID Connect clients' },
  'Oidc:getClient': { description: 'Read an OpenID Connect client' },
  'Oidc:updateClient': { description: 'Change an OpenID Connect client (name, URIs, scopes, first party, login journey, subject type)' },
  'Oidc:deleteClient': { description: 'Delete an OpenID Connect client and revoke everything issued to it' },
  'Oidc:rotateClient': { description: 'Rotate the secret of a confidential OpenID Connect client' },
} as const satisfies Record<string, { description: string }>;

/** `Service:action`, one of the catalogue's keys. */
export type Permission = keyof typeof PERMISSION_CATALOGUE;

export const PERMISSIONS = Object.keys(PERMISSION_CATALOGUE) as Permission[];
