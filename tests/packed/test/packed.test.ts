// Every published @authsec package, packed to a tarball and installed from it, all together, into a
// scratch ES module project and a scratch CommonJS project outside the workspace (so nothing falls
// back to the workspace's links): each type-checks a small program under node16 and bundler
// resolution, then runs it to pull a token from the local AuthSec server.

import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthSecTestServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));
const tsc = join(
  dirname(createRequire(import.meta.url).resolve('typescript/package.json')),
  'bin/tsc',
);

/** The published packages (every workspace package that is not private), by short name. */
const PACKAGES = ['core', 'llamaindex', 'langchain', 'autogen', 'redis', 'testing'] as const;

/** Every entry point the packages export (`@authsec/core/verify`, …), from their `exports` maps. */
const SPECIFIERS = PACKAGES.flatMap((name) => {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  return Object.keys(pkg.exports as Record<string, unknown>)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => `@authsec/${name}${subpath.slice(1)}`);
});

/** The peers the packages need, at the versions the workspace tests them with. */
const PEERS = {
  '@langchain/core': '1.4.0',
  '@llamaindex/core': '0.6.22',
  '@types/node': '20.19.43',
  ioredis: '6.1.0',
  langchain: '1.5.14',
  openai: '6.49.0',
};

interface ProgramOutput {
  resolved: Record<string, string>;
  oneCore: boolean;
  oneVerifier: boolean;
  loaded: Record<string, string>;
  mode: string;
  cached: boolean;
  sameJti: boolean;
  permissions: string[];
}

interface Run {
  code: number;
  output: string;
}

// The workspace's pnpm run hands its children npm_config_* / pnpm_config_* settings (the workspace
// dir, frozen lockfile under CI, dependency checks): none of them belongs to a user's project.
const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k)),
);

function run(command: string, args: string[], cwd: string, env = cleanEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, output: `${stdout}${stderr}` });
      // A command that could not start (ENOENT: pnpm not on PATH) has a string code and no output.
      const code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}` || error.message });
    });
  });
}

async function runOrThrow(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}:\n${result.output}`,
    );
  }
  return result.output;
}

let scratch: string;
let packs: string;
let tarballs: Record<(typeof PACKAGES)[number], string>;
let server: AuthSecTestServer;

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'authsec-packed-')));
  packs = join(scratch, 'packs');
  // One pack per package, in turn: each is a short pnpm process, and six at once would only
  // compete for the two cores with the suites running beside this one.
  const entries: [string, string][] = [];
  for (const name of PACKAGES) {
    const out = await runOrThrow(
      'pnpm',
      ['pack', '--pack-destination', packs],
      join(root, 'packages', name),
    );
    const tgz = out.trim().split('\n').pop() ?? '';
    if (!tgz.endsWith('.tgz') || !existsSync(tgz))
      throw new Error(`pnpm pack of ${name} printed:\n${out}`);
    entries.push([name, tgz]);
  }
  tarballs = Object.fromEntries(entries) as typeof tarballs;
  server = await AuthSecTestServer.start();
});

afterAll(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.each([
  ['an ES module', 'esm', 'module'],
  ['a CommonJS', 'cjs', 'commonjs'],
])('%s project (fixtures/%s, "type": "%s") installed from the tarballs', (_label, kind, type) => {
  let project: string;
  let node16: Run;

  beforeAll(async () => {
    project = join(scratch, kind);
    cpSync(join(fixtures, kind), project, { recursive: true });
    cpSync(join(fixtures, 'shared/report.ts'), join(project, 'report.ts'));
    const fromTarball = (name: (typeof PACKAGES)[number]) =>
      `file:${relative(project, tarballs[name])}`;
    const dependencies = Object.fromEntries(PACKAGES.map((n) => [`@authsec/${n}`, fromTarball(n)]));
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: `authsec-packed-${kind}`,
          private: true,
          type,
          dependencies: { ...dependencies, ...PEERS },
          // The adapters depend on @authsec/core by version: the override makes that the tarball too.
          pnpm: { overrides: { '@authsec/core': fromTarball('core') } },
        },
        null,
        2,
      ),
    );
    // One install per project, with every tarball at once. Packages come from the local store
    // when it has them; only what is missing is fetched from the registry.
    await runOrThrow(
      'pnpm',
      ['install', '--prefer-offline', '--no-frozen-lockfile', '--reporter=append-only'],
      project,
    );
    // The node16 check also emits the program the run below executes.
    node16 = await run(process.execPath, [tsc, '-p', 'tsconfig.node16.json'], project);
  });

  it('installs every @authsec package from its tarball, with a single copy of each', () => {
    const store = readdirSync(join(project, 'node_modules/.pnpm'));
    for (const name of PACKAGES) {
      const copies = store.filter((d) => d.startsWith(`@authsec+${name}@`));
      expect(copies, `@authsec/${name}`).toHaveLength(1);
      expect(copies[0]).toMatch(
        new RegExp(`^@authsec\\+${name}@file\\+\\.\\.\\+packs\\+authsec-${name}-`),
      );
      const linked = realpathSync(join(project, 'node_modules/@authsec', name));
      expect(linked.startsWith(join(project, 'node_modules/.pnpm', copies[0] ?? '') + sep)).toBe(
        true,
      );
      // A tarball holds what `files` lists: no sources or tests, unlike the workspace folder.
      expect(existsSync(join(linked, 'src')), `@authsec/${name} has src/`).toBe(false);
      expect(existsSync(join(linked, 'dist')), `@authsec/${name} has no dist/`).toBe(true);
    }
  });

  it('type-checks under module/moduleResolution node16', () => {
    expect(node16.output).toBe('');
    expect(node16.code).toBe(0);
  });

  it('type-checks under moduleResolution bundler', async () => {
    const bundler = await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], project);
    expect(bundler.output).toBe('');
    expect(bundler.code).toBe(0);
  });

  it('pulls once, serves the cache, verifies, and resolves every @authsec/* into its own node_modules', async () => {
    const { agent, env } = await server.createDelegatedAgent({ permissions: ['read:records'] });
    const program = join(project, 'out/index.js');
    expect(existsSync(program), 'the node16 type-check emits out/index.js').toBe(true);
    const result = await run(
      process.execPath,
      [program, server.workspaceId, JSON.stringify(SPECIFIERS)],
      project,
      {
        ...cleanEnv,
        ...env,
      },
    );
    expect(result.code, result.output).toBe(0);
    const output = JSON.parse(result.output.trim().split('\n').pop() ?? '') as ProgramOutput;
    expect(output).toMatchObject({
      oneCore: true,
      oneVerifier: true,
      mode: 'live',
      cached: true,
      sameJti: true,
      permissions: ['read:records'],
      loaded: {
        autogen: 'function',
        langchain: 'function',
        middleware: 'function',
        llamaindex: 'function',
        redis: 'function',
        testing: 'function',
      },
    });
    expect(
      server.pulls.filter((p) => (p.query.client_id ?? p.clientIdHeader) === agent.clientId),
    ).toHaveLength(1);
    expect(Object.keys(output.resolved)).toEqual(SPECIFIERS);
    expect(SPECIFIERS).toEqual(
      expect.arrayContaining(['@authsec/core/verify', '@authsec/langchain/middleware']),
    );
    for (const [specifier, file] of Object.entries(output.resolved)) {
      const name = specifier.split('/')[1] ?? '';
      const copy = join(
        project,
        'node_modules/.pnpm',
        `@authsec+${name}@file+..+packs+authsec-${name}-`,
      );
      expect(file.startsWith(copy), `${specifier} resolved to ${file}`).toBe(true);
      expect(
        file.endsWith(kind === 'esm' ? '.js' : '.cjs'),
        `${specifier} resolved to ${file}`,
      ).toBe(true);
    }
    expect(result.output).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });
});
