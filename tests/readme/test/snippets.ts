// Finds the TypeScript blocks of the repository's READMEs, with the hidden set-up a block may carry.
//
// A block may be preceded by an HTML comment (invisible on GitHub and npm) that starts with
// `<!-- snippet`: words after it on that line are flags (`run`: the test runs the block against
// local servers), and the lines up to `-->` are a prelude prepended to the block, e.g. the imports
// and declarations an excerpt relies on.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const root = join(import.meta.dirname, '../../..');

export interface Snippet {
  /** README path relative to the repository root, and the line of the block's first code line. */
  readonly where: string;
  readonly readme: string;
  readonly line: number;
  readonly prelude: string;
  readonly code: string;
  readonly run: boolean;
  /** A file name for the block, unique in the repository. */
  readonly file: string;
}

export function readmes(): string[] {
  const found = [join(root, 'README.md')];
  for (const group of ['packages', 'examples', 'tests']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const readme = join(base, name, 'README.md');
      if (existsSync(readme)) found.push(readme);
    }
  }
  if (existsSync(join(root, 'bench/README.md'))) found.push(join(root, 'bench/README.md'));
  return found;
}

export function snippetsOf(path: string): Snippet[] {
  const readme = relative(root, path);
  const lines = readFileSync(path, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  let pending: { prelude: string; run: boolean } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    // A fence of four or more backticks shows Markdown (a block as text): nothing in it is code.
    const outer = /^(````+)/.exec(line)?.[1];
    if (outer) {
      for (i++; i < lines.length && !(lines[i] ?? '').startsWith(outer); i++);
      pending = undefined;
      continue;
    }
    const marker = /^<!-- snippet\b(.*)$/.exec(line);
    if (marker) {
      const flags = (marker[1] ?? '').replace('-->', '').trim().split(/\s+/);
      const body: string[] = [];
      if (!line.includes('-->')) {
        for (i++; i < lines.length && !(lines[i] ?? '').includes('-->'); i++)
          body.push(lines[i] ?? '');
      }
      pending = { prelude: body.join('\n'), run: flags.includes('run') };
      continue;
    }
    if (/^```(ts|typescript)\s*$/.test(line)) {
      const start = i + 1;
      const code: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++)
        code.push(lines[i] ?? '');
      const slug =
        readme.replace(/\/README\.md$|README\.md$/, '').replace(/[^a-z0-9]+/gi, '-') || 'root';
      snippets.push({
        where: `${readme}:${start + 1}`,
        readme,
        line: start + 1,
        prelude: pending?.prelude ?? '',
        code: code.join('\n'),
        run: pending?.run ?? false,
        file: `${slug}-L${start + 1}.ts`,
      });
      pending = undefined;
      continue;
    }
    // A marker applies only to the block right after it (blank lines between are fine).
    if (line.trim() !== '') pending = undefined;
  }
  return snippets;
}

/** The module a block becomes: prelude, then the block as written, as an ES module. */
export function moduleText(snippet: Snippet): string {
  return `${snippet.prelude}\n${snippet.code}\nexport {};\n`;
}

/** Lines the prelude adds before the block's first line. */
export function preludeLines(snippet: Snippet): number {
  return snippet.prelude.split('\n').length;
}
