export function PoliciesArea() {
  return null;
}
