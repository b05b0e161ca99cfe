import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAllowed, isSubset, parsePermission } from '../../src/tenancy/permissions.ts';

test('parses the three permission shapes and rejects anything else', () => {
  assert.deepEqual(parsePermission('TNT#acme#IdentityStore:createUser'), { tenant: 'acme', service: 'IdentityStore', action: 'createUser' });
  assert.deepEqual(parsePermission('TNT#acme#IdentityStore:*'), { tenant: 'acme', service: 'IdentityStore', action: '*' });
  assert.deepEqual(parsePermission('TNT#acme#*'), { tenant: 'acme', service: '*', action: '*' });
  for (const bad of [
    'TNT#acme#',
    'TNT#ACME#*',
    'TNT#acme#*:createUser',
    'TNT#acme#IdentityStore',
    'acme#*',
    'TNT#acme#Identity Store:x',
    'TNT#-acme#*',
    '__proto__',
  ]) {
    assert.equal(parsePermission(bad), undefined, bad);
  }
});

test('isAllowed honours exact, Service:* and * grants within one tenant only', () => {
  assert.ok(isAllowed(['TNT#acme#IdentityStore:createUser'], 'acme', 'IdentityStore:createUser'));
  assert.ok(!isAllowed(['TNT#acme#IdentityStore:createUser'], 'acme', 'IdentityStore:deleteUser'));
  assert.ok(isAllowed(['TNT#acme#IdentityStore:*'], 'acme', 'IdentityStore:deleteUser'));
  assert.ok(!isAllowed(['TNT#acme#IdentityStore:*'], 'acme', 'Admin:createApiClient'));
  assert.ok(isAllowed(['TNT#acme#*'], 'acme', 'Admin:createApiClient'));
  assert.ok(!isAllowed(['TNT#acme#*'], 'globex', 'Admin:createApiClient'));
  assert.ok(!isAllowed(['TNT#acme-corp#*'], 'acme', 'Admin:createApiClient'), 'tenant ids are compared whole');
  assert.ok(!isAllowed([], 'acme', 'IdentityStore:getUser'));
});

test('isSubset refuses escalation: a narrower grant cannot cover a wildcard', () => {
  assert.ok(isSubset(['TNT#acme#IdentityStore:getUser'], ['TNT#acme#*']));
  assert.ok(isSubset(['TNT#acme#IdentityStore:*'], ['TNT#acme#IdentityStore:*']));
  assert.ok(!isSubset(['TNT#acme#IdentityStore:*'], ['TNT#acme#IdentityStore:getUser']));
  assert.ok(!isSubset(['TNT#acme#*'], ['TNT#acme#IdentityStore:*']));
  assert.ok(!isSubset(['TNT#globex#IdentityStore:getUser'], ['TNT#acme#*']));
});
