// My passkeys: who is signed in, each passkey (authenticator, synced or device-bound, created, last
// used), rename, delete (after a fresh sign-in, never the last one), add another, sign out; the browsers bound to the
// account (device binding), this one marked, and revoking one; deleting the account (after a confirmation and a fresh
// sign-in) when the store allows it.
import { KeywayServerError } from '../../web/src/errors.ts';
import { deviceKeyId } from '../../web/src/device-key.ts';
import { displayNameOf, type BoundDevice, type CurrentSession, type Passkey, type PasskeyList } from '../../web/src/keyway.ts';
import { dateTimeFormat } from './format.ts';
import { element, loadPage } from './page-kit.ts';

const page = loadPage();
const account = element('account');
const signOutButton = element<HTMLButtonElement>('sign-out');
const addButton = element<HTMLButtonElement>('add-passkey');
const list = element<HTMLUListElement>('passkey-list');
const devicesSection = element('devices');
const deviceList = element<HTMLUListElement>('device-list');
// Only when the store lets its users delete their account (the shell leaves it out otherwise).
const deleteAccountSection = document.getElementById('delete-account');
const dates = dateTimeFormat(page.data.lang);
const SVG = 'http://www.w3.org/2000/svg';

let session: CurrentSession | undefined;
let passkeys: PasskeyList | undefined;

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Built-in icons when the authenticator's metadata has none, by kind (filled paths, 24×24, even-odd holes). */
const ICONS = {
  // A cloud: the passkey is synced by a passkey provider.
  synced: 'M6.5 19a4.5 4.5 0 0 1-.9-8.91A6.5 6.5 0 0 1 18.2 8.6 5.2 5.2 0 0 1 17.5 19z',
  // A USB security key with its keyring hole.
  'security-key':
    'M9 2h6v6h1.5A1.5 1.5 0 0 1 18 9.5V20a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V9.5A1.5 1.5 0 0 1 7.5 8H9zm1.5 1.5V8h3V3.5zM12 12.5a2 2 0 1 0 0 4 2 2 0 0 0 0-4z',
  // A phone: a passkey bound to this device.
  device: 'M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h8V5zm4 14.25a1 1 0 1 0 0 2 1 1 0 0 0 0-2z',
} as const;
type IconKind = keyof typeof ICONS;

function kindOf(passkey: Passkey): IconKind {
  if (passkey.synced) return 'synced';
  const roaming = passkey.transports.some((t) => t === 'usb' || t === 'nfc' || t === 'ble');
  return roaming && !passkey.transports.includes('internal') ? 'security-key' : 'device';
}

function nameOf(passkey: Passkey): string {
  return passkey.name || passkey.authenticatorName || page.t(`passkeys.unnamed.${kindOf(passkey)}`);
}

function genericIcon(kind: IconKind): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  svg.dataset.kind = kind;
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[kind]);
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  svg.append(path);
  return svg;
}

function time(iso: string | null): HTMLElement {
  if (!iso) return make('span', {}, page.t('passkeys.never'));
  const node = make('time', {}, dates.format(new Date(iso)));
  node.dateTime = iso;
  return node;
}

function badge(text: string, kind: string, title?: string): HTMLElement {
  return make('span', { className: `badge ${kind}`, ...(title ? { title } : {}) }, text);
}

function render(): void {
  if (!passkeys) return;
  const only = passkeys.items.length === 1;
  list.replaceChildren(
    ...passkeys.items.map((passkey, index) => {
      const name = nameOf(passkey);
      const icon: Element = passkey.authenticatorIcon
        ? make('img', { className: 'icon', src: passkey.authenticatorIcon, alt: '', width: 32, height: 32 })
        : genericIcon(kindOf(passkey));
      const heading = make('h3', { className: 'passkey-name', id: `passkey-${index}-name` }, name);
      const meta = make('p', { className: 'meta' });
      // The provider (from the AAGUID catalogue) when the passkey has a name of its own; else the name is the provider's.
      if (passkey.authenticatorName && passkey.authenticatorName !== name)
        meta.append(make('span', { className: 'authenticator', title: page.t('passkeys.provider') }, passkey.authenticatorName));
      if (passkey.device) meta.append(make('span', { className: 'created-on', title: page.t('passkeys.createdOn') }, passkey.device));
      meta.append(
        passkey.synced
          ? badge(page.t('passkeys.synced'), 'synced', page.t('passkeys.syncedHint'))
          : badge(page.t('passkeys.device'), 'device', page.t('passkeys.deviceHint')),
      );
      if (passkey.current) meta.append(badge(page.t('passkeys.current'), 'current'));
      const facts = make(
        'dl',
        { className: 'dates' },
        make('div', {}, make('dt', {}, page.t('passkeys.created')), make('dd', {}, time(passkey.createdAt))),
        // The passkey this session signed in with was used, at the latest when it was created (a sign-up signs in with it).
        make('div', {}, make('dt', {}, page.t('passkeys.lastUsed')), make('dd', {}, time(passkey.lastUsedAt ?? (passkey.current ? passkey.createdAt : null)))),
      );
      const renameButton = make('button', { type: 'button', className: 'link-button' }, page.t('passkeys.rename'));
      renameButton.setAttribute('aria-label', `${page.t('passkeys.rename')}: ${name}`);
      const deleteButton = make('button', { type: 'button', className: 'link-button danger' }, page.t('passkeys.delete'));
      deleteButton.setAttribute('aria-label', page.t('passkeys.deleteLabel', { name }));
      const actions = make('div', { className: 'actions' }, renameButton, deleteButton);
      const item = make('li', { className: 'passkey' }, icon, make('div', { className: 'details' }, heading, meta, facts), actions);
      item.dataset.id = passkey.id;
      item.setAttribute('aria-labelledby', heading.id);
      if (only) {
        // Never the last one: deleting it would lock the user out without a recovery path.
        deleteButton.disabled = true;
        const why = make('p', { className: 'hint', id: `passkey-${index}-only` }, page.t('passkeys.onlyOne'));
        deleteButton.setAttribute('aria-describedby', why.id);
        item.append(why);
      }
      renameButton.addEventListener('click', () => openRename(item, passkey, renameButton));
      deleteButton.addEventListener('click', () => openDelete(item, passkey, deleteButton));
      return item;
    }),
  );
}

function openRename(item: HTMLLIElement, passkey: Passkey, opener: HTMLButtonElement): void {
  if (item.querySelector('form')) return;
  const inputId = `rename-${passkey.id}`;
  const input = make('input', { id: inputId, type: 'text', value: passkey.name ?? '', maxLength: 64, required: true, autocomplete: 'off' });
  const save = make('button', { type: 'submit', className: 'primary small' }, page.t('passkeys.save'));
  const cancel = make('button', { type: 'button', className: 'secondary small' }, page.t('passkeys.cancel'));
  const form = make(
    'form',
    { className: 'inline-form' },
    make('label', { htmlFor: inputId }, page.t('passkeys.renameLabel', { name: nameOf(passkey) })),
    input,
    make('div', { className: 'row' }, save, cancel),
  );
  const close = () => {
    form.remove();
    opener.focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name === '') {
      page.error(page.t('error.VALIDATION_FAILED'), input);
      return;
    }
    void page.busy([save, cancel], async () => {
      try {
        await page.keyway.renamePasskey(passkey.id, name);
        await refresh();
        page.status(page.t('passkeys.renamed', { name }));
        focusItem(passkey.id);
      } catch (error) {
        await handle(error, input);
      }
    });
  });
  item.append(form);
  input.focus();
  input.select();
}

function openDelete(item: HTMLLIElement, passkey: Passkey, opener: HTMLButtonElement): void {
  if (item.querySelector('.confirm')) return;
  const name = nameOf(passkey);
  const question = make('p', { id: `confirm-${passkey.id}` }, page.t('passkeys.confirmDelete', { name }));
  const confirm = make('button', { type: 'button', className: 'danger small' }, page.t('passkeys.delete'));
  const cancel = make('button', { type: 'button', className: 'secondary small' }, page.t('passkeys.cancel'));
  const panel = make('div', { className: 'confirm' }, question, make('div', { className: 'row' }, confirm, cancel));
  panel.setAttribute('role', 'group');
  panel.setAttribute('aria-labelledby', question.id);
  const close = () => {
    panel.remove();
    opener.focus();
  };
  cancel.addEventListener('click', close);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  confirm.addEventListener('click', () => {
    void page.busy([confirm, cancel], async () => {
      try {
        await withFreshSignIn(() => page.keyway.deletePasskey(passkey.id));
        await refresh();
        page.status(page.t('passkeys.deleted', { name }));
        addButton.focus();
      } catch (error) {
        await handle(error);
      }
    });
  });
  item.append(panel);
  cancel.focus();
}

/** Runs `action`; when the server wants a recent sign-in, signs in with a passkey of this account and runs it again. */
async function withFreshSignIn<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof KeywayServerError && error.problemCode === 'REAUTHENTICATION_REQUIRED') || !session) throw error;
    page.status(page.t('passkeys.reauth'));
    await page.keyway.signIn({ identifier: session.user.userKey });
    return action();
  }
}

function focusItem(id: string): void {
  const item = [...list.querySelectorAll<HTMLLIElement>('li.passkey')].find((li) => li.dataset.id === id);
  item?.querySelector<HTMLButtonElement>('button')?.focus();
}

async function handle(error: unknown, field?: HTMLInputElement): Promise<void> {
  if (error instanceof KeywayServerError && error.problemCode === 'SESSION_REQUIRED') {
    signInFirst();
    return;
  }
  const message = page.describe(error);
  if (message) page.error(message, field);
  else page.clear();
}

function signInFirst(): void {
  session = undefined;
  passkeys = undefined;
  list.replaceChildren();
  deviceList.replaceChildren();
  devicesSection.hidden = true;
  addButton.hidden = true;
  signOutButton.hidden = true;
  if (deleteAccountSection) deleteAccountSection.hidden = true;
  const link = make(
    'a',
    { href: `${page.url('signin')}${page.url('signin').includes('?') ? '&' : '?'}return_to=${encodeURIComponent(location.pathname + location.search)}` },
    page.t('signin.title'),
  );
  account.replaceChildren(page.t('passkeys.signInFirst'), ' ', link);
}

async function refresh(): Promise<void> {
  passkeys = await page.keyway.passkeys();
  render();
}

// ── bound devices (device binding) ──

/** The scope this browser's device key is kept under: "<tenant>/<store>", from the store's API base. */
function deviceScope(): string {
  const [tenant, , store] = new URL(page.keyway.baseUrl, location.href).pathname.split('/').filter(Boolean);
  return `${tenant}/${store}`;
}

/** A key id is long; its first characters name the device well enough for a person. */
const shortKey = (device: BoundDevice) => device.keyId.slice(0, 8);

async function refreshDevices(): Promise<void> {
  const devices: BoundDevice[] = [];
  let cursor: string | undefined;
  do {
    const next = await page.keyway.devices(cursor);
    devices.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  // Only the "this browser" badge depends on it: a browser whose key store cannot be read (IndexedDB refused, e.g. in
  // some private modes) still lists and revokes its devices, without the badge.
  const mine = await deviceKeyId(deviceScope()).catch(() => null);
  devicesSection.hidden = devices.length === 0;
  deviceList.replaceChildren(
    ...devices.map((device, index) => {
      const key = shortKey(device);
      const heading = make('h3', { className: 'passkey-name', id: `device-${index}-name` }, page.t('passkeys.devices.name', { key }));
      const meta = make('p', { className: 'meta' });
      if (mine === device.keyId && !device.revokedAt) meta.append(badge(page.t('passkeys.devices.thisBrowser'), 'current'));
      const facts = make(
        'dl',
        { className: 'dates' },
        make('div', {}, make('dt', {}, page.t('passkeys.devices.bound')), make('dd', {}, time(device.createdAt))),
        device.revokedAt
          ? make('div', {}, make('dt', {}, page.t('passkeys.devices.revokedAt')), make('dd', {}, time(device.revokedAt)))
          : make('div', {}, make('dt', {}, page.t('passkeys.devices.lastSeen')), make('dd', {}, time(device.lastSeenAt))),
      );
      const item = make('li', { className: 'passkey device' }, genericIcon('device'), make('div', { className: 'details' }, heading, meta, facts));
      item.dataset.id = device.id;
      item.setAttribute('aria-labelledby', heading.id);
      if (!device.revokedAt) {
        const revoke = make('button', { type: 'button', className: 'link-button danger' }, page.t('passkeys.devices.revoke'));
        revoke.setAttribute('aria-label', page.t('passkeys.devices.revokeLabel', { key }));
        revoke.addEventListener('click', () => {
          void page.busy([revoke], async () => {
            try {
              await page.keyway.revokeDevice(device.id);
              await refreshDevices();
              page.status(page.t('passkeys.devices.revoked', { key }));
              element('devices-heading').focus();
            } catch (error) {
              await handle(error);
            }
          });
        });
        item.append(make('div', { className: 'actions' }, revoke));
      }
      return item;
    }),
  );
}

// ── deleting the account ──

/**
 * "Delete account…" opens a confirmation panel that says what happens (focus on its Cancel: the safe choice; Escape
 * or Cancel close it and return to the opener); "Delete my account" there deletes it, after a passkey sign-in when the
 * last one is older than 5 minutes. Then the page says it is done and links to sign-up and sign-in.
 */
function setUpAccountDeletion(section: HTMLElement): void {
  const open = element<HTMLButtonElement>('delete-account-open');
  const panel = element('delete-account-panel');
  const confirm = element<HTMLButtonElement>('delete-account-confirm');
  const cancel = element<HTMLButtonElement>('delete-account-cancel');
  const close = () => {
    panel.hidden = true;
    open.hidden = false;
    open.focus();
  };
  open.addEventListener('click', () => {
    page.clear();
    open.hidden = true;
    panel.hidden = false;
    cancel.focus();
  });
  cancel.addEventListener('click', close);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && confirm.getAttribute('aria-busy') !== 'true') close();
  });
  confirm.addEventListener('click', () => {
    void page.busy([confirm, cancel], async () => {
      page.status(page.t('passkeys.deleteAccount.deleting'));
      try {
        await withFreshSignIn(() => page.keyway.deleteAccount(passkeys ? { list: passkeys } : {}));
      } catch (error) {
        await handle(error);
        // The page's error region is at its top, far above this panel on a small screen.
        element('error').scrollIntoView({ block: 'nearest' });
        return;
      }
      accountDeleted(section);
    });
  });
}

function accountDeleted(section: HTMLElement): void {
  session = undefined;
  passkeys = undefined;
  for (const gone of [element('account-bar'), list, addButton, devicesSection, section, document.getElementById('continue-to-app')?.parentElement])
    if (gone) gone.hidden = true;
  list.replaceChildren();
  deviceList.replaceChildren();
  const title = element('passkeys-title');
  title.textContent = page.t('passkeys.deleteAccount.doneTitle');
  // The window title is "{title} · {service}".
  document.title = [title.textContent, ...document.title.split(' · ').slice(1)].join(' · ');
  element('account-deleted').hidden = false;
  page.status(page.t('passkeys.deleteAccount.done'));
  title.focus();
}

async function load(): Promise<void> {
  try {
    session = await page.keyway.me();
  } catch (error) {
    if (error instanceof KeywayServerError && error.status === 401) return signInFirst();
    return handle(error);
  }
  const user = session.user;
  const shown = displayNameOf(user);
  const strong = make('strong', { className: 'user-name' }, shown);
  account.replaceChildren(
    `${page.t('passkeys.signedInAs')} `,
    strong,
    ...(shown !== user.userKey ? [make('span', { className: 'user-key' }, ` (${user.userKey})`)] : []),
  );
  signOutButton.hidden = false;
  addButton.hidden = false;
  if (deleteAccountSection) deleteAccountSection.hidden = false;
  try {
    await refresh();
    // Keep the user's passkey provider in line with the server (Signal API), best effort.
    void page.keyway.syncPasskeyProvider({ list: passkeys! }).catch(() => undefined);
    await refreshDevices();
  } catch (error) {
    await handle(error);
  }
}

addButton.addEventListener('click', () => {
  page.clear();
  void page.busy([addButton], async () => {
    page.status(page.t('common.working'));
    try {
      const added = await withFreshSignIn(() => page.keyway.addPasskey());
      await refresh();
      page.status(page.t('passkeys.added'));
      focusItem(added.id);
    } catch (error) {
      await handle(error);
    }
  });
});

signOutButton.addEventListener('click', () => {
  void page.busy([signOutButton], async () => {
    try {
      await page.keyway.signOut();
      location.assign(page.url('signin'));
    } catch (error) {
      await handle(error);
    }
  });
});

if (deleteAccountSection) setUpAccountDeletion(deleteAccountSection);
void load();
