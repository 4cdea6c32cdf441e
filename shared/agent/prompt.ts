/**
 * The agent's system prompt. It keeps the original backend's intent: an expert assistant that considers a
 * web search for up-to-date facts, says when it searched, cites sources when asked, and is concise.
 */

/** What the model can do in this run. */
export interface PromptContext {
  /** The model may call tools at all (false for models the Hub serves without tool support). */
  toolsEnabled: boolean;
  /** `web_search` is configured (a Tavily key is set). */
  searchAvailable: boolean;
  now: Date;
}

/** Builds the system prompt for one run. */
export function systemPrompt({ toolsEnabled, searchAvailable, now }: PromptContext): string {
  const lines = [
    'You are an expert assistant. Answer accurately and concisely.',
    `The current date and time is ${now.toISOString()} (UTC).`,
  ];
  if (toolsEnabled && searchAvailable) {
    lines.push(
      'For questions about current events, recent facts or anything that may have changed, consider using the web_search tool before answering.',
      'When your answer relies on a web search, say that you searched. When asked for sources, cite the titles and URLs of the results you used.',
    );
  } else {
    lines.push(
      'Web search is not available here: when a question needs up-to-date information, say that you cannot search the web and answer from what you know, noting it may be out of date.',
    );
  }
  if (toolsEnabled) lines.push('Use the current_datetime tool for dates and times in other time zones.');
  return lines.join('\n');
}
