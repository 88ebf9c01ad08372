import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * xs2a/ is a protocol library: it may import itself, node built-ins and npm packages,
 * never the application (logging/, db/, config/, metrics/, banks/, ...).
 */
const ROOT = resolve(__dirname, '../..');
const XS2A = join(ROOT, 'xs2a');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const packages = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
const builtins = new Set(builtinModules);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** import/export ... from '<x>', import '<x>', import('<x>'), require('<x>'). */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

export function specifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1]);
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Why a specifier in `file` is not allowed, or undefined when it is. */
function violation(file: string, spec: string): string | undefined {
  if (spec.startsWith('.')) {
    const target = resolve(dirname(file), spec);
    return target === XS2A || target.startsWith(XS2A + sep) ? undefined : `leaves xs2a/ (${relative(ROOT, target)})`;
  }
  if (spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0])) return undefined;
  if (spec.startsWith('/')) return 'absolute path';
  return packages.has(packageName(spec)) ? undefined : `not a dependency in package.json`;
}

describe('xs2a/ is self-contained', () => {
  it('finds the imports it checks (the scanner works)', () => {
    expect(specifiers(`import { a } from '../x';\nexport * from "./y";\nimport 'z';\nconst w = require('w');`)).toEqual(
      ['../x', './y', 'z', 'w'],
    );
    expect(violation(join(XS2A, 'transport', 'http-client.ts'), '../../logging/logger')).toMatch(/leaves xs2a/);
    expect(violation(join(XS2A, 'transport', 'http-client.ts'), '../errors')).toBeUndefined();
  });

  it('no file under xs2a/ imports from outside xs2a/ (only itself, node built-ins and npm packages)', () => {
    const files = sourceFiles(XS2A);
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .map((spec) => ({ spec, why: violation(file, spec) }))
        .filter((v) => v.why)
        .map((v) => `${relative(ROOT, file)}: '${v.spec}' ${v.why}`),
    );
    expect(found).toEqual([]);
  });
});
