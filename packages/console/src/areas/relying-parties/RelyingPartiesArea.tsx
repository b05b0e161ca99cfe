export function RelyingPartiesArea() {
  return null;
}
