/**
 * `npm run bench [-- area...]`: runs each area's benchmark in its own child process (so one area's
 * heap and JIT state cannot colour another's) and prints every figure as a ratio against a reference
 * measured in the same run. Areas: see AREAS. Exit 1 when any figure misses its target.
 *
 * Users run the compiled build (`dist/`), so the areas measure it: it is rebuilt first when it is
 * missing or older than `src/`. Under tsx every named closure costs a defineProperty per creation
 * (esbuild's keepNames), which is not what users pay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const AREAS = ['breaker', 'server', 'sim', 'load', 'redis'];

const requested = process.argv.slice(2);
const unknown = requested.filter((area) => !AREAS.includes(area));
if (unknown.length > 0) {
  console.error(`error: unknown bench area ${unknown.join(', ')}; expected one of ${AREAS.join(', ')}`);
  process.exit(2);
}

const root = new URL('..', import.meta.url).pathname;

/** The newest modification time of the files under `dir` (0 when there are none). */
function newest(dir: string, include: (name: string) => boolean): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path, include));
    else if (include(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

const sourceTime = newest(join(root, 'src'), (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
if (newest(join(root, 'dist'), (name) => name.endsWith('.js')) < sourceTime) {
  console.log('dist/ is missing or older than src/: npm run build');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  // tsc still emits when some file has a type error; the areas say what they cannot load.
  if (build.status !== 0) console.error('warning: npm run build reported errors; benchmarking what it emitted');
}

let failed = false;
for (const area of requested.length > 0 ? requested : AREAS) {
  const file = new URL(`./${area}.ts`, import.meta.url).pathname;
  if (!existsSync(file)) continue;
  console.log(`\n## ${area}`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
