/**
 * Benchmarks measure what users run: the compiled build in dist/ (bench/index.ts rebuilds it when it
 * is older than src/), not the sources through tsx, whose per-closure keepNames wrappers cost time.
 * Types still come from src/.
 */
export function fromDist<Module>(path: string): Promise<Module> {
  return import(new URL(`../dist/${path}`, import.meta.url).href) as Promise<Module>;
}
