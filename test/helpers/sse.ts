/** Test helper: the `data:` payloads of a `text/event-stream` body. */
export function parseSseData(text: string): string[] {
  return text
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

/** Reads a `text/event-stream` response into its `data:` payloads. */
export async function readSse(response: Response): Promise<string[]> {
  return parseSseData(await response.text());
}
