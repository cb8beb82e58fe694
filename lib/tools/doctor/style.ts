// Terminal colour: on when the stream is a TTY and NO_COLOR is not set (no-color.org).
export interface Style {
  color: boolean;
}

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;

export function paint(style: Style, code: keyof typeof CODES, text: string): string {
  return style.color ? `\x1b[${CODES[code]}m${text}\x1b[0m` : text;
}
