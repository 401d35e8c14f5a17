import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Type-checks generated files on their own, so a bad generator is caught where it ran. */
export function typecheck(files: string[]): Promise<{ ok: boolean; output: string }> {
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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tscBin, ...options, ...files]);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ok: code === 0, output: output.trim() }));
  });
}
