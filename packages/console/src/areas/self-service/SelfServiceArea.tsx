export function SelfServiceArea() {
  return null;
}
