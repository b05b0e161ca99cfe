// A passkey provider's icon: the light and dark images the server found for it (data:image URIs, checked again here
// so nothing else ever reaches an <img>), the one for the scheme on screen shown by CSS; without one, a neutral
// passkey mark. Decorative: the provider's name is always written next to it.
const isImageData = (uri: string | null | undefined): uri is string => typeof uri === 'string' && /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,/.test(uri);

export function ProviderIcon({ iconLight, iconDark, small = false }: { iconLight?: string | null; iconDark?: string | null; small?: boolean }) {
  const light = isImageData(iconLight) ? iconLight : isImageData(iconDark) ? iconDark : undefined;
  const dark = isImageData(iconDark) ? iconDark : light;
  const className = `provider-icon${small ? ' provider-icon-small' : ''}`;
  if (light === undefined || dark === undefined) {
    return (
      <span className={`${className} provider-icon-neutral`} aria-hidden="true" data-testid="provider-icon-neutral">
        <svg viewBox="0 0 24 24" width="60%" height="60%" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
          <circle cx="8" cy="12" r="4" />
          <path d="M12 12h9M18 12v3M21 12v2" />
        </svg>
      </span>
    );
  }
  return (
    <span className={className} aria-hidden="true">
      <img className="provider-icon-light" src={light} alt="" width={40} height={40} />
      <img className="provider-icon-dark" src={dark} alt="" width={40} height={40} />
    </span>
  );
}
