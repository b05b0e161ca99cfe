export function JourneysArea() {
  return null;
}
