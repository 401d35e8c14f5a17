/** Text made safe to place in HTML, in element content or a quoted attribute. */
export function escapeHtml(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Nothing but this server: the pages work offline, and a page that tried to fetch from the
 * internet would be refused by the browser (and caught by test/docs/browser.test.ts).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob:",
  "worker-src 'self' blob:",
].join('; ');

// System fonts only; the CJK ones make the Chinese messages readable wherever one is installed.
const styles = `
:root {
  color-scheme: light;
  --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0550ae;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC",
    "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
  line-height: 1.5; color: var(--text);
}
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem 2rem 4rem; }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
header nav { font-size: 0.9rem; color: var(--muted); }
h1 { margin: 0.5rem 0; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
.lead { color: var(--muted); max-width: 48rem; }
`;

/** A complete page of the docs: its title, its own styles and body, and optional inline script. */
export function page(options: {
  title: string;
  styles?: string;
  body: string;
  script?: string;
}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">
<title>${escapeHtml(options.title)}</title>
<style>${styles}${options.styles ?? ''}</style>
</head>
<body>
${options.body}
${options.script ? `<script>${options.script}</script>` : ''}
</body>
</html>
`;
}
