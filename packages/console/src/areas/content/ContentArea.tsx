export function FormsArea() {
  return null;
}
export function PagesArea() {
  return null;
}
