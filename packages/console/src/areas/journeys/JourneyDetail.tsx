export function JourneyDetail() {
  return null;
}
