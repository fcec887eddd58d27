/**
 * `npm run bench [-- area...]`: runs each area's benchmark in its own child process (so one area's
 * heap and JIT state cannot colour another's) and prints every figure as a ratio against a reference
 * measured in the same run. Areas: see AREAS. Exit 1 when any figure misses its target.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const AREAS = ['breaker', 'server', 'sim', 'load', 'redis'];

const requested = process.argv.slice(2);
const unknown = requested.filter((area) => !AREAS.includes(area));
if (unknown.length > 0) {
  console.error(`error: unknown bench area ${unknown.join(', ')}; expected one of ${AREAS.join(', ')}`);
  process.exit(2);
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
