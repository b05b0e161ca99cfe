export function FormDetail() {
  return null;
}
export function PageDetail() {
  return null;
}
