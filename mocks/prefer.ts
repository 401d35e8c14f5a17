/** A `Prefer` header, as Prism's own server reads it: `code=404, example=TASK_NOT_FOUND`. */
export type Preferences = Map<string, string>;

export function parsePrefer(header: string | undefined): Preferences {
  const preferences: Preferences = new Map();
  for (const part of (header ?? '').split(/[,;]/)) {
    const [name, value = ''] = part.split('=').map((piece) => piece.trim());
    if (name) {
      preferences.set(name.toLowerCase(), value.replace(/^"(.*)"$/, '$1'));
    }
  }
  return preferences;
}
