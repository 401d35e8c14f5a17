import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runCommand } from './command.ts';

const redoclyBin = join(
  dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
  'bin/cli.js',
);

export interface RedoclyRun {
  ok: boolean;
  output: string;
}

/**
 * Runs the Redocly CLI in `cwd` (the project root, where redocly.yaml is). The CLI's
 * Node-version banner is dropped: it is noise on every run of this pinned setup.
 */
export async function redocly(cwd: string, args: string[]): Promise<RedoclyRun> {
  const run = await runCommand(process.execPath, [redoclyBin, ...args], {
    cwd,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', NO_COLOR: '1' },
  });
  return { ok: run.code === 0, output: withoutBanner(run.output) };
}

function withoutBanner(output: string): string {
  return output
    .split('\n')
    .filter((line) => !/[╔╚║]/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
