import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local-service';

/** Resolves true when something accepts a TCP connection on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start with a bad environment', () => {
  it('DEMO_API_KEY=short: exits 2 naming DEMO_API_KEY before anything starts', async () => {
    const [apiPort, temporalPort] = [await freePort(), await freePort()];
    const child = spawn('npx', ['tsx', 'scripts/start.ts'], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        DEMO_API_KEY: 'short',
        API_PORT: String(apiPort),
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        TEMPORAL_UI_PORT: '0',
        DATABASE_PATH: 'var/test/never-created.sqlite',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/DEMO_API_KEY.*at least 16 characters/);
    expect(stdout).not.toContain('is running');
    expect(await listening(apiPort)).toBe(false);
    expect(await listening(temporalPort)).toBe(false);
  });
});
