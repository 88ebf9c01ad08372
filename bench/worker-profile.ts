/**
 * Profiling aid for `bench/connections.ts --workers N` (loaded only when asked for):
 *
 *   BENCH_WORKER_NODE_ARGS="--import ./bench/worker-profile.ts" npx tsx bench/connections.ts --workers 1 …
 *
 * then `kill -WINCH <worker pid>` once to start a CPU profile of that worker's main thread and once
 * more to write it to $PROFILE_DIR (default: the working directory) as <pid>.cpuprofile.
 * SIGWINCH because the Temporal worker shuts down on SIGUSR2 (and SIGUSR1 is Node's inspector).
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const session = new Session();
session.connect();
let profiling = false;
process.on('SIGWINCH', () => {
  if (!profiling) {
    profiling = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  profiling = false;
  session.post('Profiler.stop', (err, result) => {
    if (err) return void process.stderr.write(`worker-profile: ${err.message}\n`);
    const file = join(process.env.PROFILE_DIR ?? process.cwd(), `${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    process.stderr.write(`worker-profile: ${file}\n`);
  });
});
