import { runCli } from './commands';

// exitCode rather than process.exit() so piped stdout is flushed before the process ends.
process.exitCode = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
