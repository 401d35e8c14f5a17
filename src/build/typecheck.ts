import { createRequire } from 'node:module';
import { runCommand } from './command.ts';

const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Type-checks generated files on their own, so a bad generator is caught where it ran. */
export async function typecheck(files: string[]): Promise<{ ok: boolean; output: string }> {
  const options = [
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    '--target',
    'ES2023',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
  ];
  const run = await runCommand(process.execPath, [tscBin, ...options, ...files]);
  return { ok: run.code === 0, output: run.output.trim() };
}
