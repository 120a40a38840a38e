/** `[#####---------------]`: a fraction done, for progress lines. */
export function progressBar(fraction: number): string {
  const width = 20;
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}
