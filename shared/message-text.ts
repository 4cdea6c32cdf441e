/**
 * The text of a chat message's content, in the shapes every client sends: a string, or a list of parts of
 * which the `{"type":"text","text":"…"}` ones carry text (LangChain's flat messages and OpenAI's chat
 * messages alike). Anything else has no text.
 */

/** Joins the text of `content`; image and other parts contribute nothing. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: unknown; text?: unknown } | null) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}
