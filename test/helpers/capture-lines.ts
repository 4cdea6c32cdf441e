/** Test helper: the JSON lines (Powertools logs and EMF metrics) a piece of work writes to stdout and stderr. */
import { vi } from 'vitest';

/**
 * Runs `act` and returns its result with the JSON lines written meanwhile. Powertools writes ERROR lines to
 * stderr, the rest to stdout; a short wait lets lines of a stream that just ended (written on its close) in.
 */
export async function captureLines<T>(act: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => (written.push(String(chunk)), true)),
  );
  try {
    const result = await act();
    await new Promise((r) => setTimeout(r, 50));
    const lines = written
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
