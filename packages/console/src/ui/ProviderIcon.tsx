// A passkey provider's mark: its initial on a colour derived from its name, so the same provider always
// looks the same. Decorative: the name is always written next to it.
export function ProviderIcon({ name }: { name: string }) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return (
    <span className="provider-icon" aria-hidden="true" style={{ backgroundColor: `hsl(${hash} 55% 42%)` }}>
      {name.trim().charAt(0).toUpperCase() || '?'}
    </span>
  );
}
